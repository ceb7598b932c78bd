"""Install (or remove) the periodic etcd snapshot: script, oneshot service and timer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.files import ensure_absent, ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.systemd import ensure_service, ensure_unit, ensure_unit_absent
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.etcd.render import BACKUP_SERVICE, BACKUP_TIMER


@register_step
@dataclass(frozen=True)
class WriteEtcdBackup(EnsureStep):
    """End state with ``enabled``: ``script_path`` holds ``script`` (0755), the
    ``etcd-backup`` service and timer hold ``service`` and ``timer`` and the timer is enabled
    and active. Without ``enabled`` (``periodHours: 0``) the timer, service and script are
    gone. Unchanged when that already holds. Fails with ``CommandError`` when systemd refuses
    a unit. Snapshots already taken are never removed here.
    """

    name: ClassVar[str] = "etcd/write-etcd-backup"
    title: ClassVar[str] = "Write etcd backup timer"
    script_path: str
    script: str
    service: str
    timer: str
    enabled: bool = True

    def describe(self) -> str:
        return self.title if self.enabled else "Remove etcd backup timer"

    async def ensure(self, host: Host) -> OpResult:
        if not self.enabled:
            return combine(
                [
                    await ensure_unit_absent(host, BACKUP_TIMER),
                    await ensure_unit_absent(host, BACKUP_SERVICE),
                    await ensure_absent(host, self.script_path),
                ]
            )
        results = [
            await ensure_file(host, self.script_path, self.script, mode=0o755),
            await ensure_unit(host, BACKUP_SERVICE, self.service),
            # A staged copy of the timer cannot see its service, so only the service is verified.
            await ensure_unit(host, BACKUP_TIMER, self.timer, verify=False),
        ]
        results.append(await ensure_service(host, BACKUP_TIMER, running=True, enabled=True))
        return combine(results)
