"""Install the upstream runc binary (``runc.<arch>``) as ``/usr/local/sbin/runc``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep


@register_step
@dataclass(frozen=True)
class InstallRunc(EnsureStep):
    """End state: ``path`` is a copy of ``binary`` with mode 0755. Unchanged when the sha256
    and mode already match (runc is exec'd per container, so replacing it needs no restart).
    Fails with ``TransferError`` when the upload fails.
    """

    name: ClassVar[str] = "runtime/install-runc"
    title: ClassVar[str] = "Install runc"
    bulk: ClassVar[bool] = True
    binary: Path
    version: str
    path: str = "/usr/local/sbin/runc"

    def describe(self) -> str:
        return f"{self.title} {self.version} to {self.path}"

    async def ensure(self, host: Host) -> OpResult:
        return await ensure_file(host, self.path, self.binary.read_bytes(), mode=0o755)
