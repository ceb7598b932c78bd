"""Base OS packages from package files pushed from the machine running kubexm (air gap)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.common.paths import REMOTE_TMP
from kubexm.runner.host import Host, OpResult
from kubexm.runner.packages import get_installed_packages, package_manager
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

REMOTE_DIR = f"{REMOTE_TMP}/os-packages"


@register_step
@dataclass(frozen=True)
class InstallLocalOsPackages(EnsureStep):
    """Every package in ``packages`` is installed from the .deb files ``files`` (local paths
    of one OS release's package folder, dependencies included).

    ``check`` finds it done when all are installed. Otherwise the files are uploaded to
    ``/tmp/kubexm/os-packages`` (unchanged ones are not sent again) and only the files the
    missing packages reach through their dependencies go to one ``dpkg -i``, so packages for
    other hosts (a load balancer's haproxy) are never installed here. Fails naming the
    dependencies the folder lacks.
    """

    name: ClassVar[str] = "os/install-local-os-packages"
    title: ClassVar[str] = "Install OS packages from files"
    bulk: ClassVar[bool] = True
    timeout: ClassVar[float] = 1200.0
    packages: tuple[str, ...]
    files: tuple[Path, ...]
    manager: str = "apt"

    def describe(self) -> str:
        return f"{self.title} ({', '.join(self.packages)}; {len(self.files)} files)"

    async def ensure(self, host: Host) -> OpResult:
        installed = await get_installed_packages(host, self.packages, manager=self.manager)
        missing = [p for p in self.packages if p not in installed]
        if not missing:
            return OpResult.unchanged(f"{len(self.packages)} packages installed")

        async def install() -> None:
            await self._upload(host)
            index = parse_index((await host.run(index_command(REMOTE_DIR))).stdout)
            have = parse_installed_provides((await host.run(INSTALLED_COMMAND)).stdout)
            chosen = closure(missing, index, have)
            remote = " ".join(quote(posixpath.join(REMOTE_DIR, name)) for name in chosen)
            pm = package_manager(self.manager)
            await host.run(f"{pm.install_local} {remote}", timeout=self.timeout)

        return await host.change(f"install local packages {', '.join(missing)}", install)

    async def _upload(self, host: Host) -> None:
        await host.run(f"mkdir -p -- {quote(REMOTE_DIR)}")
        for path in self.files:
            await host.put(path, posixpath.join(REMOTE_DIR, path.name), mode=0o644)
