"""Apply the adapted CNI manifest (calico or flannel) from the first master."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.kube import ensure_manifest
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep

#: Rendered manifests are kept on the first master for inspection and manual re-apply.
MANIFEST_DIR = "/etc/kubexm/cni"


@register_step
@dataclass(frozen=True)
class InstallCniManifest(EnsureStep):
    """End state: ``/etc/kubexm/cni/<plugin>.yaml`` holds ``manifest`` and every object of
    it exists in the cluster as written (``kubectl diff`` decides, ``kubectl apply`` only on
    a difference). Unchanged when both hold. Fails with ``CommandError`` when the API server
    does not answer or rejects the manifest.
    """

    name: ClassVar[str] = "cni/install-cni-manifest"
    title: ClassVar[str] = "Install CNI manifest"
    plugin: str
    manifest: str

    def describe(self) -> str:
        return f"{self.title} ({self.plugin})"

    @property
    def path(self) -> str:
        return posixpath.join(MANIFEST_DIR, f"{self.plugin}.yaml")

    async def ensure(self, host: Host) -> OpResult:
        return combine(
            [
                await ensure_file(host, self.path, self.manifest),
                await ensure_manifest(host, self.manifest, name=f"{self.plugin} manifest"),
            ]
        )
