"""Wait until CRI-O reports the runtime ready over the CRI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.plan import StepContext
from kubexm.runner.host import Host, poll_script
from kubexm.step.base import Step, register_step
from kubexm.step.runtime.applied import crictl_ready_probe


@register_step
@dataclass(frozen=True)
class WaitCrioReady(Step):
    """Health: ``crictl info`` against ``endpoint`` says ``RuntimeReady``. ``check`` finds it
    done when it does now; ``run`` polls up to ``wait_seconds`` and fails with
    ``CommandError`` (hint: journalctl) when it never does.
    """

    name: ClassVar[str] = "runtime/wait-crio-ready"
    title: ClassVar[str] = "Wait for CRI-O"
    endpoint: str = "unix:///run/crio/crio.sock"
    crictl: str = "/usr/local/bin/crictl"
    wait_seconds: float = 60.0

    @property
    def probe(self) -> str:
        return crictl_ready_probe(self.crictl, self.endpoint)

    async def check(self, ctx: StepContext) -> bool:
        return await Host(ctx.conn).test(self.probe)

    async def run(self, ctx: StepContext) -> None:
        host = Host(ctx.conn)
        await host.wait(
            "CRI-O to report RuntimeReady",
            poll_script(self.probe, self.wait_seconds),
            timeout=self.wait_seconds,
            hint=f"see 'journalctl -u crio.service' on {host.name}",
        )
