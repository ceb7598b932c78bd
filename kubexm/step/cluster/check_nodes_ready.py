"""Post-check: every node of the config is registered and Ready."""

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
class CheckNodesReady(Step):
    """Read-only. Passes when ``kubectl get nodes`` (admin kubeconfig on the first master)
    lists every node of ``nodes`` with Ready=True; ``run`` re-reads for up to
    ``wait_seconds`` and then fails with ``StepError`` naming each missing or NotReady node
    and its condition message. Never skipped on resume (``resumable = False``).
    """

    name: ClassVar[str] = "cluster/check-nodes-ready"
    title: ClassVar[str] = "Check nodes are Ready"
    resumable: ClassVar[bool] = False
    nodes: tuple[str, ...]
    wait_seconds: float = 60.0
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
                f"nodes not Ready: {'; '.join(problems)}",
                "see 'kubectl describe node <name>' and 'journalctl -u kubelet' on the node",
            )
