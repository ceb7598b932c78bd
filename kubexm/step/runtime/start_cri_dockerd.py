"""Start cri-dockerd, or restart it when its binary or units changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.runtime.applied import ensure_applied_service


@register_step
@dataclass(frozen=True)
class StartCriDockerd(EnsureStep):
    """End state: ``cri-docker.socket`` and ``cri-docker.service`` are enabled and running
    with the binary and units whose digest is ``digest``; restarted only when that digest
    changed (pods keep running: their containers belong to docker). Fails with
    ``CommandError`` (hint: journalctl) when systemd cannot start it.
    """

    name: ClassVar[str] = "runtime/start-cri-dockerd"
    title: ClassVar[str] = "Start cri-dockerd"
    digest: str

    async def ensure(self, host: Host) -> OpResult:
        units = ("cri-docker.socket", "cri-docker.service")
        return await ensure_applied_service(host, units, self.digest, journal="cri-docker.service")
