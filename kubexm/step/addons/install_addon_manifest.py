"""Apply one add-on's YAML manifests from the first master."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.kube import ensure_manifest
from kubexm.step.addons.hooks import run_hooks
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep


@register_step
@dataclass(frozen=True)
class InstallAddonManifest(EnsureStep):
    """End state: every object of every ``(label, text)`` manifest exists in the cluster as
    written (``kubectl diff``, then ``kubectl apply`` only on a difference). The hooks run
    around an apply, never when everything is up to date. Fails with ``CommandError`` when
    kubectl or a hook fails.
    """

    name: ClassVar[str] = "addons/install-addon-manifest"
    title: ClassVar[str] = "Install add-on manifests"
    addon: str
    manifests: tuple[tuple[str, str], ...]
    pre_install: tuple[str, ...] = ()
    post_install: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.title} of {self.addon}"

    async def _apply(self, host: Host) -> OpResult:
        return combine(
            [await ensure_manifest(host, text, name=label) for label, text in self.manifests]
        )

    async def ensure(self, host: Host) -> OpResult:
        probe = await self._apply(Host(host.conn, sudo=host.sudo, dry_run=True))
        if not probe.changed:
            return OpResult.unchanged(f"{self.addon} manifests up to date")
        return combine(
            [
                await run_hooks(host, "pre-install", self.pre_install),
                await self._apply(host),
                await run_hooks(host, "post-install", self.post_install),
            ]
        )
