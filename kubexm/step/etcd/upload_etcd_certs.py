"""Put the etcd CA, this member's server and peer pairs and the health-check client pair."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.common.paths import ETCD_PKI
from kubexm.runner.files import ensure_directory, ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep

KEY_MODE = 0o600
CERT_MODE = 0o644


@dataclass(frozen=True)
class CertFile:
    """One file to place: host path and PEM bytes (a ``.key`` is written mode 0600)."""

    path: str
    data: bytes

    @property
    def mode(self) -> int:
        return KEY_MODE if self.path.endswith(".key") else CERT_MODE


@register_step
@dataclass(frozen=True)
class UploadEtcdCerts(EnsureStep):
    """End state: every file of ``files`` holds its bytes under ``/etc/kubernetes/pki/etcd``
    (private keys 0600, root only). Unchanged when each file's sha256 and mode already match.
    Fails with ``TransferError``/``CommandError`` when a write fails.
    """

    name: ClassVar[str] = "etcd/upload-etcd-certs"
    title: ClassVar[str] = "Upload etcd certificates"
    files: tuple[CertFile, ...]

    def describe(self) -> str:
        return f"{self.title}: {', '.join(f.path.rsplit('/', 1)[-1] for f in self.files)}"

    async def ensure(self, host: Host) -> OpResult:
        results = [await ensure_directory(host, ETCD_PKI, mode=0o755)]
        for item in self.files:
            results.append(await ensure_file(host, item.path, item.data, mode=item.mode))
        return combine(results)
