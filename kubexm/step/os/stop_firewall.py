"""Host firewalls off: kube-proxy and the CNI own the packet filter rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult
from kubexm.runner.system import ensure_firewall_off
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep


@register_step
@dataclass(frozen=True)
class StopFirewall(EnsureStep):
    """firewalld and ufw, where installed, are stopped and disabled.

    ``check`` finds it done when neither is installed or both are stopped and disabled.
    """

    name: ClassVar[str] = "os/stop-firewall"
    title: ClassVar[str] = "Stop firewall"

    async def ensure(self, host: Host) -> OpResult:
        return await ensure_firewall_off(host)
