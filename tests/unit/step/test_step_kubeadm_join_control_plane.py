"""JoinControlPlane: serial, certificate key from the run, local API endpoint."""

from __future__ import annotations

from kubeadm_fakes import MASTER2, TOKEN, Ctx, FakeCluster, converge, settings

from kubexm.cache import Scope, ScopedCache
from kubexm.step.kubeadm.credentials import CERT_KEY_KEY, TOKEN_KEY
from kubexm.step.kubeadm.join_control_plane import JoinControlPlane
from kubexm.util.yamlio import load_yaml_all

PIN = ("sha256:" + "cd" * 32,)
KEY = "e" * 64


def master() -> tuple[Ctx, FakeCluster]:
    pipeline = ScopedCache(Scope.PIPELINE)
    pipeline.set(TOKEN_KEY, TOKEN)
    pipeline.set(CERT_KEY_KEY, KEY)
    ctx = Ctx(pipeline=pipeline)
    ctx.conn.host = "m2"
    return ctx, FakeCluster().install(ctx.conn)


async def test_join_control_plane_carries_the_key_and_own_endpoint() -> None:
    ctx, cluster = master()

    await converge(JoinControlPlane(settings(), MASTER2, "lb.kubexm.local:6443", PIN), ctx)

    join = load_yaml_all(cluster.configs[0])[0]
    assert join["controlPlane"] == {
        "localAPIEndpoint": {"advertiseAddress": "10.0.0.12", "bindPort": 6443},
        "certificateKey": KEY,
    }
    assert join["discovery"]["bootstrapToken"]["apiServerEndpoint"] == "lb.kubexm.local:6443"
    assert "unsafeSkipCAVerification" not in cluster.configs[0]
    assert KEY not in " ".join(ctx.conn.ran)


async def test_join_control_plane_second_run_changes_nothing() -> None:
    ctx, cluster = master()
    step = JoinControlPlane(settings(), MASTER2, "lb.kubexm.local:6443", PIN)
    await step.run(ctx)

    assert await step.check(ctx) is True
    assert cluster.joins == 1


def test_masters_join_one_at_a_time() -> None:
    assert JoinControlPlane.serial_group == "kubeadm-control-plane"
