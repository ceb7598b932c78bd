"""Put the upstream cri-tools tarball on the host and unpack crictl."""

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
class InstallCrictl(EnsureStep):
    """End state: ``<bin_dir>/crictl`` comes from ``archive`` (the upstream
    ``crictl-v<version>-linux-<arch>.tar.gz``, crictl at its top level). Unchanged when the
    staged tarball has the same sha256 and crictl was unpacked from it. Fails with
    ``CommandError`` for a corrupt tarball, ``TransferError`` when the upload fails.
    """

    name: ClassVar[str] = "runtime/install-crictl"
    title: ClassVar[str] = "Install crictl"
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

        extracted = await ensure_extracted(host, remote, self.bin_dir, members=("crictl",))
        return combine([uploaded, extracted])
