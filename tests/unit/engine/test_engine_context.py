"""The per-host environment and the step context the engine builds."""

from __future__ import annotations

import logging

import pytest

from kubexm.connector.simulated import SimulatedConnection
from kubexm.engine import StaticEnv, node_context
from kubexm.errors import StepError
from kubexm.plan import StepContext


def test_node_context_satisfies_step_context_and_shares_host_cache() -> None:
    conn = SimulatedConnection("n0")
    env = StaticEnv({"n0": conn, "n1": conn}, {"n0": {"arch": "amd64"}})
    ctx = node_context(env, "n0", "etcd/write-config", dry_run=True)
    assert isinstance(ctx, StepContext)
    assert ctx.conn is conn
    assert ctx.facts == {"arch": "amd64"}
    ctx.cache.set("k", 1)
    assert node_context(env, "n0", "other/step", dry_run=False).cache.get("k") == 1
    env.root.set("shared", "yes")
    assert node_context(env, "n1", "x/y", dry_run=False).cache.get("shared") == "yes"
    assert node_context(env, "n1", "x/y", dry_run=False).cache.get("k") is None
    assert ctx.dry_run


def test_log_lines_carry_host_and_step(caplog: pytest.LogCaptureFixture) -> None:
    env = StaticEnv({"n0": SimulatedConnection("n0")})
    ctx = node_context(env, "n0", "etcd/write-config", dry_run=False)
    with caplog.at_level(logging.INFO, logger="kubexm.engine"):
        ctx.log.info("wrote %s", "/etc/etcd.conf")
    assert caplog.messages == ["[n0] etcd/write-config: wrote /etc/etcd.conf"]


def test_unknown_host_raises_step_error() -> None:
    with pytest.raises(StepError, match="no connection for host x"):
        StaticEnv({}).connection("x")
