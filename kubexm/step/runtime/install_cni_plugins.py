"""Put the upstream CNI plugins tarball on the host and unpack it into the CNI bin dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.runner.archives import ensure_extracted
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.runtime.staging import ensure_staged, staged_path


@register_step
@dataclass(frozen=True)
class InstallCniPlugins(EnsureStep):
    """End state: ``dest`` (``/opt/cni/bin``) holds every plugin of ``archive`` (the upstream
    ``cni-plugins-linux-<arch>-v<version>.tgz``, plugins at its top level). Unchanged when the
    staged tarball has the same sha256 and the extraction marker says it was unpacked the same
    way. Fails with ``CommandError`` for a corrupt tarball, ``TransferError`` on upload.
    """

    name: ClassVar[str] = "runtime/install-cni-plugins"
    title: ClassVar[str] = "Install CNI plugins"
    bulk: ClassVar[bool] = True
    archive: Path
    version: str
    dest: str = "/opt/cni/bin"

    def describe(self) -> str:
        return f"{self.title} {self.version} to {self.dest}"

    async def ensure(self, host: Host) -> OpResult:
        uploaded = await ensure_staged(host, self.archive)
        remote = staged_path(self.archive)
        if uploaded.changed and host.dry_run:
            return combine([uploaded, OpResult(True, f"would extract {remote}")])

        extracted = await ensure_extracted(host, remote, self.dest)
        return combine([uploaded, extracted])
