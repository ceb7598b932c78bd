"""Shared pieces of the load-balancer step tests: a step context over one fake host."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from fakeconn import FakeConnection, FakeSystemd, Unit

from kubexm.cache import Scope, ScopedCache
from kubexm.plan import Executable


@dataclass
class Ctx:
    """A ``StepContext`` over one fake host."""

    conn: FakeConnection = field(default_factory=lambda: FakeConnection("lb1"))
    dry_run: bool = False

    @property
    def host(self) -> str:
        return self.conn.host

    @property
    def facts(self) -> dict[str, object]:
        return {}

    @property
    def cache(self) -> ScopedCache:
        return ScopedCache(Scope.STEP)

    @property
    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        return logging.LoggerAdapter(logging.getLogger("test.lb"), {})


def with_systemd(ctx: Ctx, *units: str, active: bool = False) -> FakeSystemd:
    """``systemctl`` on the fake host knowing ``units``."""
    state = "enabled" if active else "disabled"
    return FakeSystemd({f"{u}.service": Unit(active, state) for u in units}).install(ctx.conn)


async def converge(step: Executable, ctx: Ctx) -> None:
    """check says work is due (and changes nothing), run does it, a second check is done."""
    before = ctx.conn.snapshot()
    assert await step.check(ctx) is False
    assert ctx.conn.snapshot() == before, "check changed the host"
    await step.run(ctx)
    assert await step.check(ctx) is True
