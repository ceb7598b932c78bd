"""Steps that bring a host to an end state through runner ``ensure_*`` operations.

Most steps are "make this true on the host". Such a step implements one method, ``ensure``,
with the runner operations that make it true; ``check`` runs the same operations through the
runner's dry-run gate (reads happen, mutations are only recorded), so check and run can never
disagree about what "done" means, and a second run always finds nothing to do.
"""

from __future__ import annotations

from abc import abstractmethod

from kubexm.plan import StepContext
from kubexm.runner.host import Host, OpResult
from kubexm.step.base import Step


class EnsureStep(Step):
    """A step whose end state is whatever ``ensure`` establishes on the host."""

    @abstractmethod
    async def ensure(self, host: Host) -> OpResult:
        """Bring the host to the end state with runner operations; report what changed."""

    async def check(self, ctx: StepContext) -> bool:
        """True when a dry run of ``ensure`` would change nothing."""
        result = await self.ensure(Host(ctx.conn, dry_run=True))
        return not result.changed

    async def run(self, ctx: StepContext) -> None:
        """Run ``ensure`` for real and log what it changed."""
        result = await self.ensure(Host(ctx.conn))
        if result.changed and result.detail:
            ctx.log.info("%s", result.detail)
