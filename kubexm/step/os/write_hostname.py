"""The host's name is its name in the config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult
from kubexm.runner.system import ensure_hostname
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep


@register_step
@dataclass(frozen=True)
class WriteHostname(EnsureStep):
    """The running hostname and /etc/hostname are ``hostname``.

    ``check`` finds it done when both already say ``hostname``. No rollback: the previous
    name is not kept.
    """

    name: ClassVar[str] = "os/write-hostname"
    title: ClassVar[str] = "Write hostname"
    hostname: str

    async def ensure(self, host: Host) -> OpResult:
        return await ensure_hostname(host, self.hostname)
