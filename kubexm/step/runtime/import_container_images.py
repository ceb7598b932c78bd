"""Import image archives (OCI layout tarballs) into containerd's ``k8s.io`` namespace."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.runtime.staging import ensure_staged, staged_path
from kubexm.util.shell import quote


@dataclass(frozen=True)
class ImageArchive:
    """An OCI archive on the control machine: ``source`` is the name it carries, ``ref`` the
    name the cluster uses (different when a private registry rewrites it)."""

    ref: str
    source: str
    archive: Path


@register_step
@dataclass(frozen=True)
class ImportContainerImages(EnsureStep):
    """End state: every image of ``images`` is listed by ``ctr -n <namespace> images ls -q``
    under its ``ref``. A missing one is uploaded to the staging folder, imported, tagged with
    ``ref`` when that differs from the archive's own name, and its staged archive removed.
    Unchanged when all are listed. Fails with ``CommandError`` when ctr rejects an archive.
    """

    name: ClassVar[str] = "runtime/import-container-images"
    title: ClassVar[str] = "Import container images"
    bulk: ClassVar[bool] = True
    images: tuple[ImageArchive, ...]
    namespace: str = "k8s.io"
    address: str = "/run/containerd/containerd.sock"
    ctr: str = "/usr/local/bin/ctr"

    def describe(self) -> str:
        return f"{self.title} ({len(self.images)}) into {self.namespace}"

    async def ensure(self, host: Host) -> OpResult:
        listed = await self._listed(host)
        missing = [image for image in self.images if image.ref not in listed]
        if not missing:
            return OpResult.unchanged(f"{len(self.images)} images already present")
        return combine([await self._import(host, image) for image in missing])

    @property
    def _ctr(self) -> str:
        return f"{quote(self.ctr)} --address {quote(self.address)} -n {quote(self.namespace)}"

    async def _listed(self, host: Host) -> set[str]:
        cmd = f"{self._ctr} images ls -q"
        return set((await host.run(cmd)).stdout.split())

    async def _import(self, host: Host, image: ImageArchive) -> OpResult:
        uploaded = await ensure_staged(host, image.archive)
        remote = staged_path(image.archive)
        ctr = f"{self._ctr} images"
        cmd = f"{ctr} import {quote(remote)} >/dev/null"
        if image.ref != image.source:
            cmd += f" && {ctr} tag --force {quote(image.source)} {quote(image.ref)} >/dev/null"
        cmd += f" && rm -f -- {quote(remote)}"
        imported = await host.execute(f"import image {image.ref}", cmd, timeout=600.0)
        return combine([uploaded, imported])
