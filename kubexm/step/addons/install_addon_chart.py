"""Install or upgrade one add-on's helm release from the first master."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.addons.hooks import run_hooks
from kubexm.step.addons.release import HelmRelease, ensure_release, ensure_uploaded
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep


@register_step
@dataclass(frozen=True)
class InstallAddonChart(EnsureStep):
    """End state: the helm release ``release`` is deployed from the planned chart version
    with the planned values (the chart archive ``archive`` uploaded first when the chart
    comes from the bundle). ``pre_install``/``post_install`` run around an install or
    upgrade, never when the release is already up to date. Unchanged when helm reports the
    same chart version and values digest. Fails with ``CommandError`` when helm or a hook
    fails.
    """

    name: ClassVar[str] = "addons/install-addon-chart"
    title: ClassVar[str] = "Install add-on chart"
    release: HelmRelease
    archive: Path | None = None
    pre_install: tuple[str, ...] = ()
    post_install: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.title} {self.release.name} in {self.release.namespace}"

    async def ensure(self, host: Host) -> OpResult:
        results = []
        if self.archive is not None:
            results.append(await ensure_uploaded(host, self.archive, self.release.chart))
        probe = await ensure_release(Host(host.conn, sudo=host.sudo, dry_run=True), self.release)
        if not probe.changed and not any(r.changed for r in results):
            return OpResult.unchanged(probe.detail)
        results.append(await run_hooks(host, "pre-install", self.pre_install))
        results.append(await ensure_release(host, self.release))
        results.append(await run_hooks(host, "post-install", self.post_install))
        return combine(results)
