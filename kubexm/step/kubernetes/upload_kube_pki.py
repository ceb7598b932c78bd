"""Put the certificates, keys and kubeconfigs a Kubernetes component reads on its host."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep

PRIVATE = 0o600
PUBLIC = 0o644


@dataclass(frozen=True)
class HostFile:
    """One file to place: host path, bytes and mode. ``repr`` never shows the bytes (keys
    and kubeconfigs are secrets)."""

    path: str
    data: bytes
    mode: int = PUBLIC

    def __repr__(self) -> str:
        return f"HostFile({self.path!r}, {len(self.data)} bytes, mode={self.mode:o})"


@register_step
@dataclass(frozen=True)
class UploadKubePki(EnsureStep):
    """End state: every file of ``files`` holds its bytes with its mode (private keys and
    kubeconfigs 0600, root only); missing folders are created. Unchanged when every sha256 and
    mode already match. Fails with ``TransferError``/``CommandError`` when a write fails.
    """

    name: ClassVar[str] = "kubernetes/upload-kube-pki"
    title: ClassVar[str] = "Upload Kubernetes certificates and kubeconfigs"
    files: tuple[HostFile, ...]

    def describe(self) -> str:
        return f"{self.title}: {', '.join(posixpath.basename(f.path) for f in self.files)}"

    async def ensure(self, host: Host) -> OpResult:
        # Missing folders are created; existing ones keep their mode (/root/.kube may be 0700).
        return combine([await ensure_file(host, f.path, f.data, mode=f.mode) for f in self.files])
