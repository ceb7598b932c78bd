"""CheckLbEndpoint: a TCP connect from the host; a clear StepError when refused."""

from __future__ import annotations

import pytest
from fakeconn import FAIL, OK
from lb_step_helpers import Ctx

from kubexm.errors import StepError
from kubexm.step.lb.check_lb_endpoint import CheckLbEndpoint, probe_command


def test_probe_command_uses_bash_dev_tcp_with_a_timeout() -> None:
    assert probe_command("10.0.0.100", 6443, 5) == (
        "timeout 5 bash -c 'exec 3<>/dev/tcp/10.0.0.100/6443'"
    )


async def test_a_reachable_endpoint_is_already_done() -> None:
    ctx = Ctx()
    ctx.conn.script("/dev/tcp/10.0.0.100/6443", OK)
    step = CheckLbEndpoint("10.0.0.100", 6443)

    assert await step.check(ctx)
    await step.run(ctx)
    assert step.describe() == "Check load balancer 10.0.0.100:6443"


async def test_an_unreachable_endpoint_fails_naming_it_with_a_hint() -> None:
    ctx = Ctx()
    ctx.conn.script("/dev/tcp/", FAIL)
    step = CheckLbEndpoint("10.0.0.100", 8443, connect_timeout=2)

    assert not await step.check(ctx)
    with pytest.raises(StepError, match=r"10\.0\.0\.100:8443 does not accept") as caught:
        await step.run(ctx)
    assert "controlPlaneEndpoint" in (caught.value.hint or "")
