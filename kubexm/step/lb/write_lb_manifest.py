"""Write the static pod manifest of a load balancer (node-local proxy or kube-vip)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep


@register_step
@dataclass(frozen=True)
class WriteLbManifest(EnsureStep):
    """End state: every ``(path, content)`` of ``files`` is written (0644); the manifest
    comes last, so kubelet never starts the pod before the config it mounts exists.

    Unchanged when every file matches. kubelet picks a changed manifest up by itself; the
    node-local proxy's manifest carries its config's checksum so a config change also
    recreates the pod. Fails with ``TransferError``/``CommandError`` when a write fails.
    """

    name: ClassVar[str] = "lb/write-lb-manifest"
    title: ClassVar[str] = "Write load-balancer manifest"
    files: tuple[tuple[str, str], ...]

    async def ensure(self, host: Host) -> OpResult:
        return combine([await ensure_file(host, path, text) for path, text in self.files])
