"""Put the CRI-O static bundle on the host and unpack its binaries and CNI plugins."""

from __future__ import annotations

import functools
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.errors import ArtifactError
from kubexm.runner.archives import ensure_extracted
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.runtime.staging import ensure_staged, staged_path

#: The bundle's binaries kubexm installs when present (crun or runc at least; conmonrs, the
#: Rust monitor, is optional).
WANTED_BINARIES = ("crio", "pinns", "conmon", "conmonrs", "crun", "runc", "crictl")
REQUIRED_BINARIES = ("crio", "pinns", "conmon")


@dataclass(frozen=True)
class CrioBundle:
    """What a ``cri-o.<arch>.v<version>.tar.gz`` holds: its top folder, the binaries under
    ``<top>/bin`` kubexm installs and the plugins under ``<top>/cni-plugins``."""

    top: str
    binaries: tuple[str, ...]
    plugins: tuple[str, ...]


@functools.lru_cache(maxsize=8)
def _listing(path: Path, size: int, mtime: float) -> tuple[str, ...]:
    with tarfile.open(path, "r:*") as tar:
        return tuple(m.name.removeprefix("./") for m in tar.getmembers() if m.isfile())


def read_crio_bundle(path: Path) -> CrioBundle:
    """List the bundle's binaries and CNI plugins (read once per file version). Raises
    ``ArtifactError`` when it is not a readable tarball or lacks crio, pinns or conmon, or
    an OCI runtime (crun or runc)."""
    hint = "download the CRI-O bundle again (`kubexm download -f <config>`)"
    try:
        stat = path.stat()
        names = _listing(path, stat.st_size, stat.st_mtime)
    except (OSError, tarfile.TarError) as exc:
        raise ArtifactError(f"cannot read the CRI-O bundle {path}: {exc}", hint) from exc
    tops = {n.split("/", 1)[0] for n in names if n.endswith("/bin/crio")}
    top = next(iter(sorted(tops)), "cri-o")
    found = {n.split("/")[-1] for n in names if n.startswith(f"{top}/bin/")}
    binaries = tuple(b for b in WANTED_BINARIES if b in found)
    missing = [b for b in REQUIRED_BINARIES if b not in found]
    if missing or not {"crun", "runc"} & found:
        lacking = ", ".join(missing) or "an OCI runtime (crun or runc)"
        raise ArtifactError(f"the CRI-O bundle {path} has no {lacking}", hint)
    prefix = f"{top}/cni-plugins/"
    plugins = tuple(sorted(n.removeprefix(prefix) for n in names if n.startswith(prefix)))
    return CrioBundle(top, binaries, tuple(p for p in plugins if "/" not in p))


@register_step
@dataclass(frozen=True)
class InstallCrioBundle(EnsureStep):
    """End state: ``bin_dir`` holds the bundle's binaries (crio, pinns, conmon, crun/runc,
    crictl as ``bundle`` lists them) and ``cni_bin_dir`` its CNI plugins, unpacked from
    ``archive`` (the upstream ``cri-o.<arch>.v<version>.tar.gz``) staged under
    ``/var/lib/kubexm/artifacts``. Unchanged when the staged tarball has the same sha256 and
    both extraction markers say it was unpacked the same way. Fails with ``CommandError``
    for a corrupt tarball, ``TransferError`` when the upload fails.
    """

    name: ClassVar[str] = "runtime/install-crio-bundle"
    title: ClassVar[str] = "Install CRI-O bundle"
    bulk: ClassVar[bool] = True
    archive: Path
    version: str
    bundle: CrioBundle
    bin_dir: str = "/usr/local/bin"
    cni_bin_dir: str = "/opt/cni/bin"

    def describe(self) -> str:
        return f"{self.title} {self.version} to {self.bin_dir} and {self.cni_bin_dir}"

    async def ensure(self, host: Host) -> OpResult:
        uploaded = await ensure_staged(host, self.archive)
        remote = staged_path(self.archive)
        if uploaded.changed and host.dry_run:
            return combine([uploaded, OpResult(True, f"would extract {remote}")])
        top = self.bundle.top
        binaries = tuple(f"{top}/bin/{b}" for b in self.bundle.binaries)
        results = [
            uploaded,
            await ensure_extracted(
                host, remote, self.bin_dir, members=binaries, strip_components=2
            ),
        ]
        if self.bundle.plugins:
            plugins = tuple(f"{top}/cni-plugins/{p}" for p in self.bundle.plugins)
            results.append(
                await ensure_extracted(
                    host, remote, self.cni_bin_dir, members=plugins, strip_components=2
                )
            )
        return combine(results)
