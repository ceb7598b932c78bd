"""Put the upstream etcd release tarball on the host and unpack etcd and etcdctl."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.runner.archives import ensure_extracted
from kubexm.runner.files import get_sha256
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.util.hashing import sha256_file

#: Where release files wait on the host before they are unpacked.
STAGING_DIR = "/var/lib/kubexm/artifacts"
BINARIES = ("etcd", "etcdctl")


@register_step
@dataclass(frozen=True)
class InstallEtcdBinaries(EnsureStep):
    """End state: ``bin_dir`` holds etcd and etcdctl from ``archive`` (the upstream
    ``etcd-v<version>-linux-<arch>.tar.gz`` on the control machine), the tarball staged under
    ``/var/lib/kubexm/artifacts``. Unchanged when the staged tarball has the same sha256 and
    the extraction marker says it was unpacked the same way. Fails with ``CommandError`` for a
    corrupt tarball, ``TransferError`` when the upload fails.
    """

    name: ClassVar[str] = "etcd/install-etcd-binaries"
    title: ClassVar[str] = "Install etcd binaries"
    bulk: ClassVar[bool] = True
    archive: Path
    version: str
    arch: str
    bin_dir: str = "/usr/local/bin"

    def describe(self) -> str:
        return f"{self.title} {self.version} ({self.arch}) to {self.bin_dir}"

    @property
    def remote_archive(self) -> str:
        return posixpath.join(STAGING_DIR, self.archive.name)

    async def ensure(self, host: Host) -> OpResult:
        remote = self.remote_archive
        uploaded = await self._upload(host, remote)
        if uploaded.changed and host.dry_run:
            # Nothing to unpack yet in a dry run: the tarball is only "would upload".
            return combine([uploaded, OpResult(True, f"would extract {remote}")])

        top = f"etcd-v{self.version}-linux-{self.arch}"
        members = [f"{top}/{name}" for name in BINARIES]
        extracted = await ensure_extracted(
            host, remote, self.bin_dir, members=members, strip_components=1
        )
        return combine([uploaded, extracted])

    async def _upload(self, host: Host, remote: str) -> OpResult:
        if await get_sha256(host, remote) == sha256_file(self.archive):
            return OpResult.unchanged(f"{remote} up to date")

        async def put() -> None:
            await host.run(f"mkdir -p -- {STAGING_DIR}")
            await host.put(self.archive, remote, mode=0o644)

        return await host.change(f"upload {remote}", put)
