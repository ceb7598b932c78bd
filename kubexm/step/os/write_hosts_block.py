"""The kubexm block of /etc/hosts: cluster nodes, the control-plane domain, registry, extras."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult
from kubexm.runner.system import ensure_hosts_block
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep


@register_step
@dataclass(frozen=True)
class WriteHostsBlock(EnsureStep):
    """/etc/hosts holds exactly ``entries`` (``(address, (name, ...))``) between the kubexm
    markers; every line outside the block (``127.0.0.1 localhost``, the host's own name) is
    kept as it is.

    ``check`` finds it done when the block already reads the same. No rollback here; the
    reset flow removes the block.
    """

    name: ClassVar[str] = "os/write-hosts-block"
    title: ClassVar[str] = "Write /etc/hosts block"
    entries: tuple[tuple[str, tuple[str, ...]], ...]

    def describe(self) -> str:
        return f"{self.title} ({len(self.entries)} entries)"

    async def ensure(self, host: Host) -> OpResult:
        return await ensure_hosts_block(host, self.entries)
