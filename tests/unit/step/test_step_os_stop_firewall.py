"""StopFirewall: firewalld/ufw stopped and disabled where installed."""

from __future__ import annotations

from fakeconn import FakeConnection, FakeSystemd, Unit
from stepctx import Ctx, converge

from kubexm.step.os.stop_firewall import StopFirewall


async def test_stop_firewall_stops_and_disables_ufw_then_changes_nothing() -> None:
    fake = FakeConnection()
    systemd = FakeSystemd({"ufw.service": Unit(active=True, enabled="enabled")}).install(fake)

    await converge(StopFirewall(), Ctx(fake))
    assert systemd.units["ufw.service"] == Unit(active=False, enabled="disabled")
