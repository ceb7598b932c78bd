"""Post-check: every pod in kube-system is Running (or Succeeded)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.errors import StepError
from kubexm.plan import StepContext
from kubexm.runner.host import Host
from kubexm.step.base import Step, register_step
from kubexm.step.cluster.status import get_pod_problems, wait_for


@register_step
@dataclass(frozen=True)
class CheckSystemPods(Step):
    """Read-only. Passes when every pod of ``namespace`` is Running or Succeeded with no
    container waiting (CrashLoopBackOff, ImagePullBackOff...); ``run`` re-reads for up to
    ``wait_seconds`` (pods just created need a moment) and then fails with ``StepError``
    naming each such pod, its phase and reason. Never skipped on resume.
    """

    name: ClassVar[str] = "cluster/check-system-pods"
    title: ClassVar[str] = "Check kube-system pods are running"
    resumable: ClassVar[bool] = False
    namespace: str = "kube-system"
    wait_seconds: float = 180.0
    interval: float = 5.0

    async def check(self, ctx: StepContext) -> bool:
        return not await get_pod_problems(Host(ctx.conn), self.namespace)

    async def run(self, ctx: StepContext) -> None:
        host = Host(ctx.conn)

        async def read() -> list[str]:
            return await get_pod_problems(host, self.namespace)

        problems = await wait_for(read, self.wait_seconds, self.interval)
        if problems:
            raise StepError(
                f"pods in {self.namespace} not running: {'; '.join(problems)}",
                f"see 'kubectl -n {self.namespace} describe pod <name>' and its events",
            )
