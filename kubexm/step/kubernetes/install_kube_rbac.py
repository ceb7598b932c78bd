"""Create the RBAC objects a binary-mode control plane needs (kubeadm makes them itself)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult
from kubexm.runner.kube import ensure_manifest
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.kubernetes.wait_kube_apiserver import readyz_probe


@register_step
@dataclass(frozen=True)
class InstallKubeRbac(EnsureStep):
    """End state: the objects of ``manifest`` exist in the cluster as written (``kubectl
    diff`` finds no difference), applied with ``kubeconfig`` (system:masters, local API
    server). Unchanged when diff is empty. In a dry run before the API server is up it
    reports "would apply". Fails with ``CommandError`` when diff or apply fails.
    """

    name: ClassVar[str] = "kubernetes/install-kube-rbac"
    title: ClassVar[str] = "Install control-plane RBAC"
    manifest: str
    kubeconfig: str

    async def ensure(self, host: Host) -> OpResult:
        if host.dry_run and not await host.test(readyz_probe(self.kubeconfig), timeout=30.0):
            return OpResult(True, "would apply control-plane RBAC (API server not up yet)")
        return await ensure_manifest(
            host, self.manifest, kubeconfig=self.kubeconfig, name="control-plane RBAC"
        )
