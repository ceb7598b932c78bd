"""Start a load-balancer service and enable it at boot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.systemd import ensure_service, wait_service_active
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep


@register_step
@dataclass(frozen=True)
class StartLbService(EnsureStep):
    """End state: ``service`` (haproxy, nginx, keepalived) is enabled and active.

    Unchanged when it already is; a config change is applied by ``WriteLbConfig`` with a
    reload, never here. After a start it waits up to ``wait_seconds`` for the unit to be
    active. Fails with ``CommandError`` (hint: journalctl) when it does not start.
    """

    name: ClassVar[str] = "lb/start-lb-service"
    title: ClassVar[str] = "Start load-balancer service"
    service: str
    wait_seconds: float = 30.0

    def describe(self) -> str:
        return f"Start {self.service}"

    async def ensure(self, host: Host) -> OpResult:
        started = await ensure_service(host, self.service, running=True, enabled=True)
        if started.changed:
            await wait_service_active(host, self.service, timeout=self.wait_seconds)
        return combine([started])
