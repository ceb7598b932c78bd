"""Put the helm client from its release tarball into /usr/local/bin on the first master."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.common.paths import BIN_DIR
from kubexm.runner.archives import ensure_extracted
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.addons.release import ensure_uploaded
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep

STAGING_DIR = "/var/lib/kubexm/artifacts"


@register_step
@dataclass(frozen=True)
class InstallHelm(EnsureStep):
    """End state: ``/usr/local/bin/helm`` is the binary of ``archive`` (the upstream
    ``helm-v<version>-linux-<arch>.tar.gz``), the tarball staged under
    ``/var/lib/kubexm/artifacts``. Unchanged when the staged tarball matches and the
    extraction marker says it was unpacked. Fails with ``CommandError`` for a corrupt tarball.
    """

    name: ClassVar[str] = "addons/install-helm"
    title: ClassVar[str] = "Install helm"
    bulk: ClassVar[bool] = True
    archive: Path
    version: str
    arch: str

    def describe(self) -> str:
        return f"{self.title} {self.version} ({self.arch})"

    async def ensure(self, host: Host) -> OpResult:
        remote = posixpath.join(STAGING_DIR, self.archive.name)
        uploaded = await ensure_uploaded(host, self.archive, remote)
        if uploaded.changed and host.dry_run:
            return combine([uploaded, OpResult(True, f"would extract {remote}")])
        member = f"linux-{self.arch}/helm"
        extracted = await ensure_extracted(
            host, remote, BIN_DIR, members=[member], strip_components=1
        )
        return combine([uploaded, extracted])
