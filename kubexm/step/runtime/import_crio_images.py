"""Copy image archives into CRI-O's image store (containers-storage) with skopeo."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

from kubexm.errors import StepError
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.runtime.import_container_images import ImageArchive
from kubexm.step.runtime.staging import ensure_staged, staged_path
from kubexm.util.shell import quote

NO_IMPORTER_HINT = (
    "CRI-O's static bundle has no image importer (crictl can only pull). Install skopeo on "
    "the node (add it to the OS packages: spec.system.debs/rpms), or push the images to a "
    "registry the nodes reach (`kubexm push images`, spec.registry.mirroring.privateRegistry)"
)


@register_step
@dataclass(frozen=True)
class ImportCrioImages(EnsureStep):
    """End state: ``crictl images`` on ``endpoint`` lists every image of ``images`` by its
    ``ref``. A missing one is uploaded to the staging folder and copied with ``skopeo copy
    oci-archive:<file> containers-storage:[<driver>@<root>+<runroot>]<ref>`` into the store
    CRI-O reads, then its staged copy removed. Unchanged when all are listed. Fails with
    ``StepError`` (hint: install skopeo or use a registry) when the node has no skopeo, since
    CRI-O's bundle ships none; ``CommandError`` when skopeo rejects an archive.
    """

    name: ClassVar[str] = "runtime/import-crio-images"
    title: ClassVar[str] = "Import container images into CRI-O"
    bulk: ClassVar[bool] = True
    images: tuple[ImageArchive, ...]
    root: str = "/var/lib/containers/storage"
    runroot: str = "/run/containers/storage"
    driver: str = "overlay"
    endpoint: str = "unix:///run/crio/crio.sock"
    crictl: str = "/usr/local/bin/crictl"

    def describe(self) -> str:
        return f"{self.title} ({len(self.images)})"

    async def ensure(self, host: Host) -> OpResult:
        listed = await self._listed(host)
        missing = [image for image in self.images if image.ref not in listed]
        if not missing:
            return OpResult.unchanged(f"{len(self.images)} images already present")
        found = await host.run("command -v skopeo", check=False)
        if not found.ok:
            raise StepError(
                f"[{host.name}] cannot import {len(missing)} images into CRI-O: no skopeo",
                NO_IMPORTER_HINT,
            )
        skopeo = found.stdout.strip()
        return combine([await self._copy(host, skopeo, image) for image in missing])

    async def _listed(self, host: Host) -> set[str]:
        cmd = f"{quote(self.crictl)} --runtime-endpoint {quote(self.endpoint)} images -o json"
        doc = json.loads((await host.run(cmd)).stdout or "{}")
        return {tag for image in doc.get("images") or [] for tag in image.get("repoTags") or []}

    async def _copy(self, host: Host, skopeo: str, image: ImageArchive) -> OpResult:
        uploaded = await ensure_staged(host, image.archive)
        remote = staged_path(image.archive)
        store = f"containers-storage:[{self.driver}@{self.root}+{self.runroot}]{image.ref}"
        cmd = (
            f"{quote(skopeo)} copy --quiet oci-archive:{quote(remote)} {quote(store)} "
            f"&& rm -f -- {quote(remote)}"
        )
        copied = await host.execute(f"import image {image.ref}", cmd, timeout=600.0)
        return combine([uploaded, copied])
