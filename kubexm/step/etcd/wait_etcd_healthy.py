"""Wait until every etcd member answers healthy and the cluster has a leader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.plan import StepContext
from kubexm.runner.host import Host, poll_script
from kubexm.step.base import Step, register_step
from kubexm.step.etcd.render import ETCDCTL_WRAPPER

#: Healthy: every member of ``member list`` answers, and some member reports a leader id.
PROBE = (
    f"{ETCDCTL_WRAPPER} endpoint health --cluster >/dev/null 2>&1 && "
    f"{ETCDCTL_WRAPPER} endpoint status --cluster -w json 2>/dev/null"
    " | grep -q '\"leader\":[1-9]'"
)


@register_step
@dataclass(frozen=True)
class WaitEtcdHealthy(Step):
    """End state: ``etcdctl endpoint health --cluster`` passes from this member and a leader
    is elected. ``check`` finds it done when one probe passes; ``run`` polls up to
    ``wait_seconds`` and then fails with ``CommandError`` pointing at ``journalctl -u etcd``.
    """

    name: ClassVar[str] = "etcd/wait-etcd-healthy"
    title: ClassVar[str] = "Wait for a healthy etcd cluster"
    wait_seconds: float = 180.0

    async def check(self, ctx: StepContext) -> bool:
        return await Host(ctx.conn).test(PROBE, timeout=60.0)

    async def run(self, ctx: StepContext) -> None:
        await Host(ctx.conn).wait(
            "a healthy etcd cluster with a leader",
            poll_script(PROBE, self.wait_seconds, interval=2.0),
            timeout=self.wait_seconds,
            hint=f"see 'journalctl -u etcd' and '{ETCDCTL_WRAPPER} member list' on {ctx.host}",
        )
        ctx.log.info("etcd cluster healthy")
