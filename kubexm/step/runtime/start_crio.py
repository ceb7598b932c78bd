"""Start CRI-O, or restart it when its binaries, config or unit changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.runtime.applied import ensure_applied_service


@register_step
@dataclass(frozen=True)
class StartCrio(EnsureStep):
    """End state: ``crio.service`` is enabled and running with the binaries, config files
    and unit whose digest is ``digest``; restarted only when that digest changed (containers
    survive: conmon monitors them outside crio). Fails with ``CommandError`` (hint:
    journalctl) when systemd cannot start it.
    """

    name: ClassVar[str] = "runtime/start-crio"
    title: ClassVar[str] = "Start CRI-O"
    digest: str

    async def ensure(self, host: Host) -> OpResult:
        return await ensure_applied_service(
            host, ("crio.service",), self.digest, journal="crio.service"
        )
