"""Put docker's static release tarball on the host and unpack its binaries."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.runner.archives import ensure_extracted
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.runtime.staging import ensure_staged, staged_path

#: The binaries of ``docker-<v>.tgz`` (all under ``docker/``) the engine needs: the daemon and
#: client, its containerd with the runc v2 shim and ctr, runc, the init and the port proxy.
BINARIES = (
    "dockerd",
    "docker",
    "containerd",
    "containerd-shim-runc-v2",
    "ctr",
    "runc",
    "docker-init",
    "docker-proxy",
)


@register_step
@dataclass(frozen=True)
class InstallDockerBinaries(EnsureStep):
    """End state: ``bin_dir`` holds every binary of ``BINARIES`` from ``archive`` (the upstream
    ``docker-<version>.tgz``), the tarball staged under ``/var/lib/kubexm/artifacts``.
    Unchanged when the staged tarball has the same sha256, the extraction marker says it was
    unpacked the same way and the binaries are present. Fails with ``CommandError`` for a
    corrupt tarball or one missing a binary, ``TransferError`` when the upload fails.
    """

    name: ClassVar[str] = "runtime/install-docker-binaries"
    title: ClassVar[str] = "Install docker binaries"
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
        members = tuple(f"docker/{name}" for name in BINARIES)
        extracted = await ensure_extracted(
            host, remote, self.bin_dir, members=members, strip_components=1
        )
        return combine([uploaded, extracted])
