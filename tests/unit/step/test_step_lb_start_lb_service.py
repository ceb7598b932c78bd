"""StartLbService: enabled and active once, then nothing to do."""

from __future__ import annotations

import pytest
from fakeconn import OK
from lb_step_helpers import Ctx, converge, with_systemd

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.step.lb.start_lb_service import StartLbService


async def test_start_lb_service_enables_and_starts_then_waits_for_active() -> None:
    ctx = Ctx()
    systemd = with_systemd(ctx, "keepalived")
    ctx.conn.script("systemctl is-active --quiet", OK)

    await converge(StartLbService("keepalived"), ctx)

    unit = systemd.units["keepalived.service"]
    assert unit.active and unit.enabled == "enabled"
    assert any(cmd.startswith("end=") for cmd in ctx.conn.ran), "it waited for active"


async def test_start_lb_service_leaves_a_running_service_alone() -> None:
    ctx = Ctx()
    with_systemd(ctx, "haproxy", active=True)

    step = StartLbService("haproxy")
    assert await step.check(ctx)
    await step.run(ctx)
    assert not any(" start " in f" {c} " or "restart" in c for c in ctx.conn.ran)
    assert step.describe() == "Start haproxy"


async def test_a_service_that_does_not_become_active_fails_with_journalctl_hint() -> None:
    ctx = Ctx()
    with_systemd(ctx, "nginx")
    ctx.conn.script("end=", Result(1, "", ""))

    with pytest.raises(CommandError) as caught:
        await StartLbService("nginx", wait_seconds=1).run(ctx)
    assert "journalctl -u nginx.service" in (caught.value.hint or "")
