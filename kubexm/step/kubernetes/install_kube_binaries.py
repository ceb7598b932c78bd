"""Place Kubernetes release binaries (kube-apiserver, kubelet, kubeadm, kubectl...) on a host."""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.common.paths import BIN_DIR
from kubexm.runner.files import get_file_state
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.util.hashing import sha256_file
from kubexm.util.shell import quote

BINARY_MODE = 0o755


@dataclass(frozen=True)
class KubeBinary:
    """One release file on the control machine and the name it gets in the bin dir."""

    name: str
    local: Path


def local_sha256(path: Path) -> str:
    """The sha256 of a local release file, hashed once per size and modification time
    (check and run of every host compare against the same 100 MB files)."""
    stat = path.stat()
    return _sha256_of(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _sha256_of(path: str, _size: int, _mtime_ns: int) -> str:
    return sha256_file(path)


async def ensure_binary(host: Host, local: Path, remote: str) -> OpResult:
    """``remote`` is a copy of ``local`` with mode 0755; the transfer streams the file and is
    skipped when the sha256 and mode already match. Raises ``TransferError`` on failure."""
    state = await get_file_state(host, remote)
    if state.kind == "file" and state.mode == BINARY_MODE and state.sha256 == local_sha256(local):
        return OpResult.unchanged(f"{remote} up to date")

    async def put() -> None:
        if not state.exists:
            await host.run(f"mkdir -p -- {quote(posixpath.dirname(remote))}")
        await host.put(local, remote, mode=BINARY_MODE)

    return await host.change(f"install {remote}", put)


@register_step
@dataclass(frozen=True)
class InstallKubeBinaries(EnsureStep):
    """End state: ``bin_dir/<name>`` is a copy of each local release file of ``binaries``,
    mode 0755. Unchanged when every file's sha256 and mode already match; a running service
    keeps its old binary until it is restarted (the start steps decide that). Fails with
    ``TransferError`` when an upload fails.
    """

    name: ClassVar[str] = "kubernetes/install-kube-binaries"
    title: ClassVar[str] = "Install Kubernetes binaries"
    bulk: ClassVar[bool] = True
    binaries: tuple[KubeBinary, ...]
    version: str
    bin_dir: str = BIN_DIR

    def describe(self) -> str:
        names = ", ".join(b.name for b in self.binaries)
        return f"{self.title} {self.version} ({names}) to {self.bin_dir}"

    async def ensure(self, host: Host) -> OpResult:
        results = []
        for binary in self.binaries:
            remote = posixpath.join(self.bin_dir, binary.name)
            results.append(await ensure_binary(host, binary.local, remote))
        return combine(results)
