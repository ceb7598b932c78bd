"""Write the kubelet unit, kubeadm's drop-in and the node's extra-flags file; enable kubelet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.systemd import ensure_unit, get_service_state
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.util.shell import quote

UNIT_NAME = "kubelet.service"
DROP_IN = "kubelet.service.d/10-kubeadm.conf"


async def ensure_enabled(host: Host, name: str) -> OpResult:
    """``name`` is enabled; whether it runs is left alone (kubeadm starts the kubelet)."""
    state = await get_service_state(host, name)
    if state.is_enabled:
        return OpResult.unchanged(f"{name} enabled")
    return await host.execute(f"enable {name}", f"systemctl enable {quote(name)}")


@register_step
@dataclass(frozen=True)
class WriteKubeletUnit(EnsureStep):
    """End state: ``kubelet.service`` holds ``unit``, its drop-in ``10-kubeadm.conf`` holds
    ``drop_in``, ``env_path`` (``/etc/default/kubelet`` or ``/etc/sysconfig/kubelet``)
    holds ``env``, and the kubelet is enabled. It never starts or restarts the kubelet:
    ``kubeadm init``/``join`` does, once its config exists. Unchanged when all match.
    Fails with ``CommandError`` when the unit does not verify or systemctl fails.
    """

    name: ClassVar[str] = "kubeadm/write-kubelet-unit"
    title: ClassVar[str] = "Write kubelet unit"
    unit: str
    drop_in: str
    env_path: str
    env: str

    async def ensure(self, host: Host) -> OpResult:
        return combine(
            [
                await ensure_unit(host, UNIT_NAME, self.unit),
                await ensure_unit(host, DROP_IN, self.drop_in),
                await ensure_file(host, self.env_path, self.env, mode=0o644),
                await ensure_enabled(host, UNIT_NAME),
            ]
        )
