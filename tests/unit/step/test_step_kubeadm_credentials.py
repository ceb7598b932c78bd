"""The join credentials' helpers: cache root, token parsing, missing nodes."""

from __future__ import annotations

import pytest
from kubeadm_fakes import TOKEN, Ctx, FakeCluster

from kubexm.cache import Scope, ScopedCache
from kubexm.errors import StepError
from kubexm.runner.host import Host
from kubexm.step.kubeadm.credentials import (
    missing_credentials,
    missing_nodes,
    nodes_command,
    parse_token,
    pipeline_cache,
    token_id,
)


def test_pipeline_cache_is_the_root_every_host_shares() -> None:
    root = ScopedCache(Scope.PIPELINE)
    a, b = root.child(Scope.TASK), root.child(Scope.TASK)
    pipeline_cache(a).set("k", "v")
    assert b.get("k") == "v"
    assert pipeline_cache(root) is root


def test_parse_token_takes_the_last_line() -> None:
    assert parse_token(f"W1203 some warning\n{TOKEN}\n") == TOKEN


@pytest.mark.parametrize("out", ["", "no token here\n", "ABCDEF.0123456789abcdef\n"])
def test_parse_token_refuses_output_without_a_token(out: str) -> None:
    with pytest.raises(StepError, match="no bootstrap token") as info:
        parse_token(out)
    assert out.strip() not in str(info.value) or not out.strip()


def test_token_id_is_the_public_half() -> None:
    assert token_id(TOKEN) == "k3x9ab"


def test_nodes_command_lists_names_with_the_admin_kubeconfig() -> None:
    cmd = nodes_command()
    assert "--kubeconfig=/etc/kubernetes/admin.conf" in cmd
    assert cmd.endswith("get nodes -o name")


async def test_missing_nodes_asks_the_cluster() -> None:
    ctx = Ctx()
    FakeCluster(nodes={"m1", "w1"}, up=True).install(ctx.conn)
    ctx.conn.write("/etc/kubernetes/admin.conf", "x\n")
    assert await missing_nodes(Host(ctx.conn), ["w1", "w2"]) == ["w2"]


async def test_missing_nodes_counts_everything_before_init() -> None:
    ctx = Ctx()
    FakeCluster().install(ctx.conn)
    assert await missing_nodes(Host(ctx.conn), ["w1"]) == ["w1"]
    ctx.conn.write("/etc/kubernetes/admin.conf", "x\n")
    assert await missing_nodes(Host(ctx.conn), ["w1"]) == ["w1"], "apiserver down"


def test_missing_credentials_explains_the_way_out() -> None:
    error = missing_credentials("w1", "join token")
    assert "w1" in str(error)
    assert "kubeadm reset" in (error.hint or "")
