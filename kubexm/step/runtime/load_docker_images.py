"""Load image archives into docker with ``docker load``."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.runtime.docker_archive import write_docker_archive
from kubexm.step.runtime.import_container_images import ImageArchive
from kubexm.step.runtime.staging import ensure_staged, staged_path
from kubexm.util.shell import quote


@register_step
@dataclass(frozen=True)
class LoadDockerImages(EnsureStep):
    """End state: ``docker image inspect <ref>`` finds every image of ``images``. A missing
    one is turned into a docker-loadable archive for ``arch`` (tagged ``ref``) on the control
    machine, uploaded to the staging folder, loaded and its staged copy removed. Unchanged
    when all are present. Fails with ``CommandError`` when docker rejects an archive,
    ``ArtifactError`` when an archive has no ``arch`` image.
    """

    name: ClassVar[str] = "runtime/load-docker-images"
    title: ClassVar[str] = "Load container images into docker"
    bulk: ClassVar[bool] = True
    images: tuple[ImageArchive, ...]
    arch: str = "amd64"
    endpoint: str = "unix:///run/docker.sock"
    docker: str = "/usr/local/bin/docker"

    def describe(self) -> str:
        return f"{self.title} ({len(self.images)})"

    @property
    def _docker(self) -> str:
        return f"{quote(self.docker)} -H {quote(self.endpoint)}"

    async def ensure(self, host: Host) -> OpResult:
        missing = await self._missing(host)
        if not missing:
            return OpResult.unchanged(f"{len(self.images)} images already present")
        with tempfile.TemporaryDirectory(prefix="kubexm-docker-") as tmp:
            return combine([await self._load(host, image, Path(tmp)) for image in missing])

    async def _missing(self, host: Host) -> list[ImageArchive]:
        refs = " ".join(quote(image.ref) for image in self.images)
        probe = (
            f'for r in {refs}; do {self._docker} image inspect --format x "$r" '
            f'>/dev/null 2>&1 || echo "$r"; done'
        )
        absent = set((await host.run(probe)).stdout.split())
        return [image for image in self.images if image.ref in absent]

    async def _load(self, host: Host, image: ImageArchive, tmp: Path) -> OpResult:
        if host.dry_run:
            return OpResult(True, f"would load image {image.ref}")
        name = image.archive.name.removesuffix(".oci.tar") + ".docker.tar"
        local = write_docker_archive(image.archive, image.ref, self.arch, tmp / name)
        uploaded = await ensure_staged(host, local)
        remote = staged_path(local)
        cmd = f"{self._docker} load -q -i {quote(remote)} >/dev/null && rm -f -- {quote(remote)}"
        loaded = await host.execute(f"load image {image.ref}", cmd, timeout=600.0)
        return combine([uploaded, loaded])
