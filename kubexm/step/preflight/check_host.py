"""The one per-host preflight step: evaluate one named check on one host.

Every (check, host) pair is its own graph node, so each failing check on each host is one
failed node and the engine reports all of them together instead of stopping at the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.errors import StepError
from kubexm.plan import StepContext
from kubexm.step.base import Step, register_step
from kubexm.step.preflight.probe import load_probe
from kubexm.step.preflight.rules import WARNINGS_KEY, Finding, Requirements, evaluate


@register_step
@dataclass(frozen=True)
class CheckHost(Step):
    """Host end state: check ``item`` finds no error there.

    ``check`` is True when the host passes (a warning still passes; it is logged and kept in
    the host cache under ``WARNINGS_KEY`` for the report); ``run`` changes nothing and raises
    ``StepError(message, fix)`` for the error. No rollback: nothing is written to the host.
    """

    name: ClassVar[str] = "preflight/check-host"
    title: ClassVar[str] = "Check host"
    timeout: ClassVar[float] = 120.0
    resumable: ClassVar[bool] = False

    item: str
    requirements: Requirements

    def describe(self) -> str:
        return f"check {self.item}"

    async def _finding(self, ctx: StepContext) -> Finding | None:
        probe = await load_probe(ctx, self.requirements.modules)
        return evaluate(self.item, ctx.facts, probe, self.requirements)

    async def check(self, ctx: StepContext) -> bool:
        finding = await self._finding(ctx)
        if finding is None:
            return True
        if finding.level == "warning":
            ctx.log.warning("%s (fix: %s)", finding.message, finding.fix)
            warnings = ctx.cache.setdefault(WARNINGS_KEY, dict)
            warnings[self.item] = finding
            return True
        return False

    async def run(self, ctx: StepContext) -> None:
        finding = await self._finding(ctx)
        if finding is None or finding.level == "warning":
            return
        raise StepError(finding.message, finding.fix)
