"""Install or upgrade the CNI's helm release (cilium) from the chart in the bundle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.addons.release import HelmRelease, ensure_release, ensure_uploaded
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep


@register_step
@dataclass(frozen=True)
class InstallCniChart(EnsureStep):
    """End state: the chart ``archive`` is staged on the first master and the release
    ``release`` is deployed from it with the planned values. Unchanged when helm reports the
    same chart version and values digest. Fails with ``CommandError`` when helm fails.
    """

    name: ClassVar[str] = "cni/install-cni-chart"
    title: ClassVar[str] = "Install CNI chart"
    timeout: ClassVar[float] = 900.0
    release: HelmRelease
    archive: Path

    def describe(self) -> str:
        return f"{self.title} {self.release.chart_name} {self.release.version}"

    async def ensure(self, host: Host) -> OpResult:
        return combine(
            [
                await ensure_uploaded(host, self.archive, self.release.chart),
                await ensure_release(host, self.release),
            ]
        )
