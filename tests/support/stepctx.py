"""A ``StepContext`` over one fake host, and the convergence check every step test makes."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fakeconn import FakeConnection

from kubexm.cache import Scope, ScopedCache
from kubexm.step import Step


@dataclass
class Ctx:
    """What a step sees: the fake host's connection, no facts, a fresh cache, a test logger."""

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
        return logging.LoggerAdapter(logging.getLogger("test.step"), {})


async def converge(step: Step, ctx: Ctx) -> None:
    """check says not done, run does it, check then says done (nothing left to change)."""
    assert await step.check(ctx) is False
    await step.run(ctx)
    assert await step.check(ctx) is True
