"""Wait until containerd answers on its socket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.plan import StepContext
from kubexm.runner.host import Host, poll_script
from kubexm.step.base import Step, register_step
from kubexm.util.shell import quote


@register_step
@dataclass(frozen=True)
class WaitContainerdReady(Step):
    """Health: ``ctr version`` gets an answer from the daemon on ``address``. ``check`` finds
    it done when it answers now (nothing to wait for, the node is unchanged); ``run`` polls up
    to ``wait_seconds`` and fails with ``CommandError`` (hint: journalctl) when it never does.
    """

    name: ClassVar[str] = "runtime/wait-containerd-ready"
    title: ClassVar[str] = "Wait for containerd"
    address: str = "/run/containerd/containerd.sock"
    ctr: str = "/usr/local/bin/ctr"
    wait_seconds: float = 60.0

    @property
    def probe(self) -> str:
        # `ctr version` prints the client part even without a daemon but then exits non-zero.
        return f"{quote(self.ctr)} --address {quote(self.address)} version >/dev/null 2>&1"

    async def check(self, ctx: StepContext) -> bool:
        return await Host(ctx.conn).test(self.probe)

    async def run(self, ctx: StepContext) -> None:
        host = Host(ctx.conn)
        await host.wait(
            "containerd to answer",
            poll_script(self.probe, self.wait_seconds),
            timeout=self.wait_seconds,
            hint=f"see 'journalctl -u containerd.service' on {host.name}",
        )
