"""WaitEtcdHealthy: unchanged when healthy, polls otherwise and fails with a hint."""

from __future__ import annotations

import pytest
from etcd_step_helpers import Ctx
from fakeconn import FAIL, OK

from kubexm.errors import CommandError
from kubexm.step.etcd.wait_etcd_healthy import PROBE, WaitEtcdHealthy


async def test_wait_is_unchanged_when_the_cluster_is_healthy() -> None:
    ctx = Ctx()
    ctx.conn.script("endpoint health --cluster", OK)

    assert await WaitEtcdHealthy().check(ctx) is True
    assert ctx.conn.ran == [PROBE]


async def test_wait_polls_until_healthy() -> None:
    ctx = Ctx()
    ctx.conn.script("endpoint health --cluster", FAIL, times=1)
    ctx.conn.script("endpoint health --cluster", OK)
    step = WaitEtcdHealthy(wait_seconds=5)

    assert await step.check(ctx) is False
    await step.run(ctx)
    assert "while :" in ctx.conn.ran[-1]


async def test_wait_fails_with_a_journalctl_hint() -> None:
    ctx = Ctx()
    ctx.conn.script("endpoint health --cluster", FAIL)

    with pytest.raises(CommandError) as info:
        await WaitEtcdHealthy(wait_seconds=1).run(ctx)
    assert "journalctl -u etcd" in (info.value.hint or "")


def test_probe_requires_a_leader() -> None:
    assert '"leader":[1-9]' in PROBE
