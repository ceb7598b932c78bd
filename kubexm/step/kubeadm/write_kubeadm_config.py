"""Write the first master's kubeadm config file (root only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep

KUBEADM_CONFIG = "/etc/kubernetes/kubeadm-config.yaml"


@register_step
@dataclass(frozen=True)
class WriteKubeadmConfig(EnsureStep):
    """End state: ``path`` holds ``content`` (InitConfiguration, ClusterConfiguration,
    KubeletConfiguration, KubeProxyConfiguration), mode 0600: kubeadm configs are kept
    root-only because they can hold tokens and keys (this one holds neither: the per-run
    join credentials never go into it). Unchanged when content and mode match. Fails with
    ``TransferError``/``CommandError`` when the write fails.
    """

    name: ClassVar[str] = "kubeadm/write-kubeadm-config"
    title: ClassVar[str] = "Write kubeadm config"
    content: str
    path: str = KUBEADM_CONFIG

    async def ensure(self, host: Host) -> OpResult:
        return await ensure_file(host, self.path, self.content, mode=0o600)
