"""The configured timezone on every host."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult
from kubexm.runner.system import ensure_timezone
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep


@register_step
@dataclass(frozen=True)
class WriteTimezone(EnsureStep):
    """/etc/localtime points at ``zone`` (``timedatectl`` when it works, else the link).

    ``check`` finds it done when the link already points at the zone. Fails with a hint when
    the zone is not in /usr/share/zoneinfo on the host.
    """

    name: ClassVar[str] = "os/write-timezone"
    title: ClassVar[str] = "Write timezone"
    zone: str

    async def ensure(self, host: Host) -> OpResult:
        return await ensure_timezone(host, self.zone)
