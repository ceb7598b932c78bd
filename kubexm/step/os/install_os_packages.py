"""Base OS packages from the host's configured repositories (online hosts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult
from kubexm.runner.packages import ensure_packages
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep


@register_step
@dataclass(frozen=True)
class InstallOsPackages(EnsureStep):
    """Every package in ``packages`` is installed (any version) through ``manager``.

    ``check`` finds it done when all are installed; the package index is refreshed only when
    something is missing. Fails when a repository is unreachable or lacks a package.
    """

    name: ClassVar[str] = "os/install-os-packages"
    title: ClassVar[str] = "Install OS packages"
    timeout: ClassVar[float] = 1200.0
    packages: tuple[str, ...]
    manager: str

    def describe(self) -> str:
        return f"{self.title} ({', '.join(self.packages)})"

    async def ensure(self, host: Host) -> OpResult:
        return await ensure_packages(host, self.packages, manager=self.manager)
