"""Install the load balancer's OS packages: from the repositories, or offline from .deb/.rpm
files pushed from the control machine (the bundle's OS package folder)."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult
from kubexm.runner.packages import ensure_packages, get_installed_packages, package_manager
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.os.deb_closure import (
    INSTALLED_COMMAND,
    closure,
    index_command,
    parse_index,
    parse_installed_provides,
)
from kubexm.util.shell import quote

REMOTE_DIR = "/var/cache/kubexm/lb-packages"


async def _push(host: Host, files: Sequence[str]) -> list[str]:
    remote = []
    for local in files:
        target = posixpath.join(REMOTE_DIR, Path(local).name)
        await ensure_file(host, target, Path(local).read_bytes(), mode=0o644)
        remote.append(target)
    return remote


async def _closure_files(host: Host, missing: Sequence[str]) -> list[str]:
    # dpkg -i installs every file it is given: hand it only what the missing packages
    # need and the host lacks, never a second libc6 or dpkg from the folder.
    infos = parse_index((await host.run(index_command(REMOTE_DIR), timeout=300.0)).stdout)
    satisfied = parse_installed_provides((await host.run(INSTALLED_COMMAND, check=False)).stdout)
    return [posixpath.join(REMOTE_DIR, f) for f in closure(missing, infos, satisfied)]


@register_step
@dataclass(frozen=True)
class InstallLbPackages(EnsureStep):
    """End state: every package of ``packages`` is installed.

    Without ``local_files`` they come from the host's repositories (``ensure_packages``).
    With ``local_files`` (paths on the control machine) the files are pushed to
    ``/var/cache/kubexm/lb-packages`` and installed with dpkg (only the dependency closure
    of the missing packages) or rpm. Unchanged, and nothing pushed, when all are installed.
    Fails with ``CommandError`` when the install fails and with ``KubexmError`` naming the
    dependencies the offline folder lacks.
    """

    name: ClassVar[str] = "lb/install-lb-packages"
    title: ClassVar[str] = "Install load-balancer packages"
    packages: tuple[str, ...]
    manager: str
    local_files: tuple[str, ...] = ()
    timeout: ClassVar[float] = 1200.0

    async def ensure(self, host: Host) -> OpResult:
        if not self.local_files:
            return await ensure_packages(host, self.packages, manager=self.manager)
        installed = await get_installed_packages(host, self.packages, manager=self.manager)
        missing = [p for p in self.packages if p not in installed]
        if not missing:
            return OpResult.unchanged(f"{len(self.packages)} packages installed")
        pm = package_manager(self.manager)

        async def install() -> None:
            pushed = await _push(host, self.local_files)
            files = await _closure_files(host, missing) if self.manager == "apt" else pushed
            await host.run(f"{pm.install_local} {' '.join(quote(f) for f in files)}", timeout=900)

        return await host.change(f"install local packages {', '.join(missing)}", install)
