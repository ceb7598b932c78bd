"""Write ``/etc/crictl.yaml`` so crictl talks to containerd without flags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.criconfig import CONTAINERD_SOCKET, CrictlSettings, ensure_crictl_yaml
from kubexm.runner.host import Host, OpResult
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep


@register_step
@dataclass(frozen=True)
class WriteCrictlConfig(EnsureStep):
    """End state: ``/etc/crictl.yaml`` names ``endpoint`` as runtime and image endpoint.
    Written whether or not crictl itself is installed (kubeadm's preflight and operators'
    own crictl read it). Unchanged when the file matches."""

    name: ClassVar[str] = "runtime/write-crictl-config"
    title: ClassVar[str] = "Write crictl config"
    endpoint: str = CONTAINERD_SOCKET

    async def ensure(self, host: Host) -> OpResult:
        settings = CrictlSettings(runtime_endpoint=self.endpoint, image_endpoint=self.endpoint)
        return await ensure_crictl_yaml(host, settings)
