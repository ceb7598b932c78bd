"""StopFirewall: firewalld/ufw stopped and disabled where installed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fakeconn import FakeConnection, FakeSystemd, Unit

from kubexm.cache import Scope, ScopedCache
from kubexm.step import Step
from kubexm.step.os.stop_firewall import StopFirewall


@dataclass
class Ctx:
    conn: FakeConnection
    host: str = "node1"
    dry_run: bool = False

    @property
    def facts(self) -> dict[str, object]:
        return {}

    @property
    def cache(self) -> ScopedCache:
        return ScopedCache(Scope.STEP)

    @property
    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        return logging.LoggerAdapter(logging.getLogger("test.os"), {})


async def converge(step: Step, ctx: Ctx) -> None:
    """check says not done, run does it, check then says done (nothing left to change)."""
    assert await step.check(ctx) is False
    await step.run(ctx)
    assert await step.check(ctx) is True


async def test_stop_firewall_stops_and_disables_ufw_then_changes_nothing() -> None:
    fake = FakeConnection()
    systemd = FakeSystemd({"ufw.service": Unit(active=True, enabled="enabled")}).install(fake)

    await converge(StopFirewall(), Ctx(fake))
    assert systemd.units["ufw.service"] == Unit(active=False, enabled="disabled")
