"""Pre-seed ``/etc/kubernetes/pki`` on a master with the cluster's CAs and shared keys."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.files import ensure_directory, ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.etcd.upload_etcd_certs import CertFile


@register_step
@dataclass(frozen=True)
class UploadKubeadmPki(EnsureStep):
    """End state: every file of ``files`` (the Kubernetes and front-proxy CA pairs, the
    service-account key pair, and the etcd CA and client pair the etcd type needs) holds its
    bytes under ``/etc/kubernetes/pki``, keys mode 0600. kubeadm then finds them and reuses
    them ("using existing ... certificate authority"), so every master and the local work
    dir share one PKI. Unchanged when each file's sha256 and mode match. Fails with
    ``TransferError``/``CommandError`` when a write fails.
    """

    name: ClassVar[str] = "kubeadm/upload-kubeadm-pki"
    title: ClassVar[str] = "Upload kubeadm PKI"
    bulk: ClassVar[bool] = True
    files: tuple[CertFile, ...]

    def describe(self) -> str:
        names = ", ".join(f.path.removeprefix("/etc/kubernetes/pki/") for f in self.files)
        return f"{self.title}: {names}"

    async def ensure(self, host: Host) -> OpResult:
        dirs = sorted({posixpath.dirname(f.path) for f in self.files})
        results = [await ensure_directory(host, d, mode=0o755) for d in dirs]
        for item in self.files:
            results.append(await ensure_file(host, item.path, item.data, mode=item.mode))
        return combine(results)
