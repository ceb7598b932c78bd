"""KubeadmJoin (shared by both joins): credentials from the run, a transient config file."""

from __future__ import annotations

import pytest
from kubeadm_fakes import MASTER2, TOKEN, WORKER, Ctx, FakeCluster, on_host, settings

from kubexm.cache import Scope, ScopedCache
from kubexm.errors import CommandError, StepError
from kubexm.step.kubeadm.credentials import CERT_KEY_KEY, TOKEN_KEY
from kubexm.step.kubeadm.join_worker import JoinWorker
from kubexm.step.kubeadm.joining import JOIN_CONFIG
from kubexm.step.kubeadm.render import JoinSecrets

PIN = ("sha256:" + "ab" * 32,)


def run_cache(token: bool = True, key: bool = False) -> ScopedCache:
    cache = ScopedCache(Scope.PIPELINE)
    if token:
        cache.set(TOKEN_KEY, TOKEN)
    if key:
        cache.set(CERT_KEY_KEY, "c" * 64)
    return cache


def test_secrets_come_from_the_run_cache() -> None:
    step = JoinWorker(settings(), WORKER, "10.0.0.11:6443", PIN)
    assert step.secrets(on_host("w1", run_cache())) == JoinSecrets(TOKEN)


def test_a_control_plane_join_also_needs_the_certificate_key() -> None:
    step = JoinWorker(settings(), MASTER2, "10.0.0.11:6443", PIN)
    with pytest.raises(StepError, match="certificate key"):
        step.secrets(on_host("m2", run_cache()))
    assert step.secrets(on_host("m2", run_cache(key=True))).certificate_key == "c" * 64


def test_a_join_without_a_token_says_how_to_recover() -> None:
    step = JoinWorker(settings(), WORKER, "10.0.0.11:6443", PIN)
    with pytest.raises(StepError, match="join token"):
        step.secrets(on_host("w1", run_cache(token=False)))


async def test_join_removes_the_config_with_the_token_even_when_kubeadm_fails() -> None:
    ctx = Ctx(on_host("w1", run_cache()).conn, run_cache())
    FakeCluster(fail_join=True).install(ctx.conn)
    step = JoinWorker(settings(), WORKER, "10.0.0.11:6443", PIN)

    with pytest.raises(CommandError):
        await step.run(ctx)
    assert JOIN_CONFIG not in ctx.conn.files


def test_describe_names_the_discovery_endpoint() -> None:
    assert "10.0.0.11:6443" in JoinWorker(settings(), WORKER, "10.0.0.11:6443", PIN).describe()
