"""Write the CRI-O systemd unit (rendered from ``templates/crio``)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import ClassVar

from kubexm.runner.files import render_template
from kubexm.runner.host import Host, OpResult
from kubexm.runner.systemd import ensure_unit
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep


def render_crio_unit(
    *, limit_nofile: int, bin_dir: str = "/usr/local/bin", config_dir: str = "/etc/crio/crio.conf.d"
) -> str:
    """The unit text: Type=notify, crio reading its drop-in folder, OOM score -999, SIGHUP
    for a reload. Raises ``KubexmError`` if the template names a value not passed."""
    source = resources.files("kubexm").joinpath("templates/crio/crio.service.j2").read_text("utf-8")
    values = {"bin_dir": bin_dir, "config_dir": config_dir, "limit_nofile": limit_nofile}
    return render_template(source, values)


@register_step
@dataclass(frozen=True)
class WriteCrioUnit(EnsureStep):
    """End state: ``/etc/systemd/system/crio.service`` holds ``content`` and systemd has
    re-read its units. Checked with ``systemd-analyze verify`` before it is installed
    (``CommandError``, the old unit untouched). Unchanged when the file matches.
    """

    name: ClassVar[str] = "runtime/write-crio-unit"
    title: ClassVar[str] = "Write CRI-O unit"
    content: str

    async def ensure(self, host: Host) -> OpResult:
        return await ensure_unit(host, "crio.service", self.content)
