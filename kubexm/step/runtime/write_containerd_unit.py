"""Write the containerd systemd unit (rendered from ``templates/containerd``)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import ClassVar

from kubexm.runner.criconfig import CONTAINERD_CONFIG
from kubexm.runner.files import render_template
from kubexm.runner.host import Host, OpResult
from kubexm.runner.systemd import ensure_unit
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep

UNIT_NAME = "containerd.service"


def render_containerd_unit(
    *, bin_dir: str = "/usr/local/bin", config_path: str = CONTAINERD_CONFIG, limit_nofile: int
) -> str:
    """The unit text: Type=notify, Delegate=yes (containerd manages its containers' cgroups),
    KillMode=process (stopping containerd must not kill the containers' shims), OOM score
    -999. Raises ``KubexmError`` if the template names a value not passed (a kubexm bug)."""
    source = (
        resources.files("kubexm")
        .joinpath("templates/containerd/containerd.service.j2")
        .read_text("utf-8")
    )
    values = {"bin_dir": bin_dir, "config_path": config_path, "limit_nofile": limit_nofile}
    return render_template(source, values)


@register_step
@dataclass(frozen=True)
class WriteContainerdUnit(EnsureStep):
    """End state: ``/etc/systemd/system/containerd.service`` holds ``content`` and systemd
    has re-read its units. The new unit is checked with ``systemd-analyze verify`` before it
    is installed (``CommandError``, the old unit untouched). Unchanged when the file matches.
    A unit from the distro package under /lib/systemd/system is shadowed, not removed.
    """

    name: ClassVar[str] = "runtime/write-containerd-unit"
    title: ClassVar[str] = "Write containerd unit"
    content: str

    async def ensure(self, host: Host) -> OpResult:
        return await ensure_unit(host, UNIT_NAME, self.content)
