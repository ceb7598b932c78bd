"""Put the cri-dockerd release tarball on the host and unpack the shim."""

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
class InstallCriDockerd(EnsureStep):
    """End state: ``<bin_dir>/cri-dockerd`` comes from ``archive`` (the upstream
    ``cri-dockerd-<version>.<arch>.tgz``, the binary under ``cri-dockerd/``). Unchanged when
    the staged tarball has the same sha256 and the binary was unpacked from it. Fails with
    ``CommandError`` for a corrupt tarball, ``TransferError`` when the upload fails.
    """

    name: ClassVar[str] = "runtime/install-cri-dockerd"
    title: ClassVar[str] = "Install cri-dockerd"
    bulk: ClassVar[bool] = True
    archive: Path
    version: str
    bin_dir: str = "/usr/local/bin"

    def describe(self) -> str:
        return f"{self.title} {self.version} to {self.bin_dir}"

    async def ensure(self, host: Host) -> OpResult:
        uploaded = await ensure_staged(host, self.archive)
        remote = staged_path(self.archive)
        if uploaded.changed and host.dry_run:
            return combine([uploaded, OpResult(True, f"would extract {remote}")])
        extracted = await ensure_extracted(
            host, remote, self.bin_dir, members=("cri-dockerd/cri-dockerd",), strip_components=1
        )
        return combine([uploaded, extracted])
