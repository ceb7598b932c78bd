"""Wait until docker answers on its API socket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.plan import StepContext
from kubexm.runner.host import Host, poll_script
from kubexm.step.base import Step, register_step
from kubexm.util.shell import quote


@register_step
@dataclass(frozen=True)
class WaitDockerReady(Step):
    """Health: ``docker info`` gets an answer from the daemon at ``endpoint``. ``check``
    finds it done when it answers now; ``run`` polls up to ``wait_seconds`` and fails with
    ``CommandError`` (hint: journalctl) when it never does.
    """

    name: ClassVar[str] = "runtime/wait-docker-ready"
    title: ClassVar[str] = "Wait for docker"
    endpoint: str = "unix:///run/docker.sock"
    docker: str = "/usr/local/bin/docker"
    wait_seconds: float = 60.0

    @property
    def probe(self) -> str:
        return f"{quote(self.docker)} -H {quote(self.endpoint)} info >/dev/null 2>&1"

    async def check(self, ctx: StepContext) -> bool:
        return await Host(ctx.conn).test(self.probe)

    async def run(self, ctx: StepContext) -> None:
        host = Host(ctx.conn)
        await host.wait(
            "docker to answer",
            poll_script(self.probe, self.wait_seconds),
            timeout=self.wait_seconds,
            hint=f"see 'journalctl -u docker.service' on {host.name}",
        )
