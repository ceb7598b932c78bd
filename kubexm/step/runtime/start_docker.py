"""Start docker, or restart it when its binaries, daemon.json or units changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.runtime.applied import ensure_applied_service


@register_step
@dataclass(frozen=True)
class StartDocker(EnsureStep):
    """End state: ``docker.socket`` and ``docker.service`` are enabled and running with the
    binaries, daemon.json and units whose digest is ``digest``. A stopped docker is started;
    a running one whose recorded digest differs is stopped and started (its containers
    survive when ``liveRestore`` is on). Unchanged when it runs, is enabled and the digest
    matches, so a run that changed nothing never restarts it. Fails with ``CommandError``
    (hint: journalctl) when systemd cannot start it.
    """

    name: ClassVar[str] = "runtime/start-docker"
    title: ClassVar[str] = "Start docker"
    digest: str

    async def ensure(self, host: Host) -> OpResult:
        units = ("docker.socket", "docker.service")
        return await ensure_applied_service(host, units, self.digest, journal="docker.service")
