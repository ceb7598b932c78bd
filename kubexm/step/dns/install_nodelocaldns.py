"""Deploy NodeLocal DNSCache: account, Corefile ConfigMap and the hostNetwork DaemonSet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.kube import ensure_manifest
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep

PATH = "/etc/kubexm/dns/nodelocaldns.yaml"


@register_step
@dataclass(frozen=True)
class InstallNodelocaldns(EnsureStep):
    """End state: ``/etc/kubexm/dns/nodelocaldns.yaml`` on the first master holds
    ``manifest`` and every object in it exists in the cluster as written (``kubectl diff``,
    then ``kubectl apply`` only on a difference). Unchanged when nothing differs. Fails with
    ``CommandError`` when the API server does not answer or rejects an object.
    """

    name: ClassVar[str] = "dns/install-nodelocaldns"
    title: ClassVar[str] = "Install NodeLocal DNS"
    manifest: str

    async def ensure(self, host: Host) -> OpResult:
        return combine(
            [
                await ensure_file(host, PATH, self.manifest),
                await ensure_manifest(host, self.manifest, name="nodelocaldns.yaml"),
            ]
        )
