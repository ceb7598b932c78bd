"""Check that a user-provided load balancer answers on the control-plane endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.errors import StepError
from kubexm.plan import StepContext
from kubexm.runner.host import Host
from kubexm.step.base import Step, register_step
from kubexm.util.shell import quote


def probe_command(address: str, port: int, timeout: float) -> str:
    """A TCP connect to ``address:port`` that exits 0 when it is accepted (bash /dev/tcp)."""
    target = quote(f"exec 3<>/dev/tcp/{address}/{port}")
    return f"timeout {timeout:g} bash -c {target}"


@register_step
@dataclass(frozen=True)
class CheckLbEndpoint(Step):
    """Nothing is deployed for an external load balancer: this step only proves that this
    host reaches ``address:port`` over TCP.

    ``check`` is True when the connection is accepted within ``connect_timeout`` seconds;
    ``run`` tries once more and fails with ``StepError`` naming the endpoint when it is
    still refused or silent. It changes nothing on the host.
    """

    name: ClassVar[str] = "lb/check-lb-endpoint"
    title: ClassVar[str] = "Check load-balancer endpoint"
    address: str
    port: int
    connect_timeout: float = 5.0

    def describe(self) -> str:
        return f"Check load balancer {self.address}:{self.port}"

    async def _reachable(self, ctx: StepContext) -> bool:
        cmd = probe_command(self.address, self.port, self.connect_timeout)
        return await Host(ctx.conn).test(cmd, timeout=self.connect_timeout + 10.0)

    async def check(self, ctx: StepContext) -> bool:
        return await self._reachable(ctx)

    async def run(self, ctx: StepContext) -> None:
        if await self._reachable(ctx):
            return
        raise StepError(
            f"[{ctx.host}] the external load balancer {self.address}:{self.port} does not "
            f"accept TCP connections (waited {self.connect_timeout:g}s)",
            hint="start the load balancer and let it forward to every master on 6443, or "
            "fix spec.controlPlaneEndpoint.address/port",
        )
