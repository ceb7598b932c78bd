"""Replace the Corefile of the CoreDNS kubeadm deployed (kubeadm mode, when DNS is customised)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.kube import ensure_manifest
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep

PATH = "/etc/kubexm/dns/coredns-configmap.yaml"


@register_step
@dataclass(frozen=True)
class WriteCorednsConfig(EnsureStep):
    """End state: ``/etc/kubexm/dns/coredns-configmap.yaml`` on the first master holds
    ``manifest`` (the ``coredns`` ConfigMap) and the cluster's ConfigMap equals it. CoreDNS's
    reload plugin picks a changed Corefile up within a minute, so nothing is restarted.
    Unchanged when ``kubectl diff`` finds no difference. Fails with ``CommandError`` when the
    API server does not answer or rejects the object.
    """

    name: ClassVar[str] = "dns/write-coredns-config"
    title: ClassVar[str] = "Write CoreDNS config"
    manifest: str

    async def ensure(self, host: Host) -> OpResult:
        return combine(
            [
                await ensure_file(host, PATH, self.manifest),
                await ensure_manifest(host, self.manifest, name="coredns-configmap.yaml"),
            ]
        )
