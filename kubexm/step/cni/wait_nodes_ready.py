"""Wait until every node of the config is registered and Ready (the CNI is up)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.errors import StepError
from kubexm.plan import StepContext
from kubexm.runner.host import Host
from kubexm.step.base import Step, register_step
from kubexm.step.cluster.status import get_node_problems, wait_for


@register_step
@dataclass(frozen=True)
class WaitNodesReady(Step):
    """End state: ``kubectl get nodes`` lists every node of ``nodes`` with Ready=True.

    ``check`` is one reading; ``run`` reads every ``interval`` seconds for up to
    ``wait_seconds`` and then fails with ``StepError`` naming each node that is missing or
    NotReady with its Ready condition's message. Nothing is written anywhere.
    """

    name: ClassVar[str] = "cni/wait-nodes-ready"
    title: ClassVar[str] = "Wait for Ready nodes"
    resumable: ClassVar[bool] = False
    timeout: ClassVar[float] = 1200.0
    nodes: tuple[str, ...]
    wait_seconds: float = 600.0
    interval: float = 5.0

    async def check(self, ctx: StepContext) -> bool:
        return not await get_node_problems(Host(ctx.conn), self.nodes)

    async def run(self, ctx: StepContext) -> None:
        host = Host(ctx.conn)

        async def read() -> list[str]:
            return await get_node_problems(host, self.nodes)

        problems = await wait_for(read, self.wait_seconds, self.interval)
        if problems:
            raise StepError(
                f"nodes not Ready after {self.wait_seconds:.0f}s: {'; '.join(problems)}",
                "check the CNI pods ('kubectl -n kube-system get pods -o wide') and "
                "'journalctl -u kubelet' on the nodes named",
            )
        ctx.log.info("all %d nodes Ready", len(self.nodes))
