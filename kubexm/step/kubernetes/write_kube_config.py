"""Write a component's configuration files and systemd units (never restarting anything)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.systemd import ensure_unit
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.kubernetes.upload_kube_pki import HostFile


@dataclass(frozen=True)
class UnitFile:
    """One systemd unit: its name (``kubelet.service``) and content."""

    name: str
    content: str


@register_step
@dataclass(frozen=True)
class WriteKubeConfig(EnsureStep):
    """End state: every file of ``files`` holds its content with its mode and every unit of
    ``units`` is installed under ``/etc/systemd/system`` (checked with ``systemd-analyze
    verify`` first, then systemd reloads). Unchanged when all match. Services are never
    restarted here: ``StartKubeServices`` compares the applied settings digest. Fails with
    ``CommandError`` when a unit does not verify (the installed one is then kept).
    """

    name: ClassVar[str] = "kubernetes/write-kube-config"
    title: ClassVar[str] = "Write Kubernetes component config"
    files: tuple[HostFile, ...] = ()
    units: tuple[UnitFile, ...] = ()

    def describe(self) -> str:
        names = [posixpath.basename(f.path) for f in self.files] + [u.name for u in self.units]
        return f"{self.title}: {', '.join(names)}"

    async def ensure(self, host: Host) -> OpResult:
        results = [await ensure_file(host, f.path, f.data, mode=f.mode) for f in self.files]
        for unit in self.units:
            results.append(await ensure_unit(host, unit.name, unit.content))
        return combine(results)
