"""Put the upstream containerd release tarball on the host and unpack its binaries."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.runner.archives import ensure_extracted
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.runtime.staging import ensure_staged, staged_path

#: The members of ``containerd-<v>-linux-<arch>.tar.gz`` kubexm needs (the tarball's ``bin/``
#: also holds legacy shims and a stress tool in 1.x; nothing here uses them).
MEMBERS = ("bin/containerd", "bin/containerd-shim-runc-v2", "bin/ctr")


@register_step
@dataclass(frozen=True)
class InstallContainerdBinaries(EnsureStep):
    """End state: ``<prefix>/bin`` holds containerd, its runc v2 shim and ctr from
    ``archive`` (the upstream ``containerd-<version>-linux-<arch>.tar.gz``), the tarball staged
    under ``/var/lib/kubexm/artifacts``. Unchanged when the staged tarball has the same sha256,
    the extraction marker says it was unpacked the same way and the binaries are present.
    Fails with ``CommandError`` for a corrupt tarball, ``TransferError`` when the upload fails.
    """

    name: ClassVar[str] = "runtime/install-containerd-binaries"
    title: ClassVar[str] = "Install containerd binaries"
    bulk: ClassVar[bool] = True
    archive: Path
    version: str
    prefix: str = "/usr/local"

    def describe(self) -> str:
        return f"{self.title} {self.version} to {self.prefix}/bin"

    async def ensure(self, host: Host) -> OpResult:
        uploaded = await ensure_staged(host, self.archive)
        remote = staged_path(self.archive)
        if uploaded.changed and host.dry_run:
            # Nothing to unpack yet in a dry run: the tarball is only "would upload".
            return combine([uploaded, OpResult(True, f"would extract {remote}")])

        extracted = await ensure_extracted(host, remote, self.prefix, members=MEMBERS)
        return combine([uploaded, extracted])
