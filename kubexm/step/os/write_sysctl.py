"""Kernel parameters for Kubernetes networking and large nodes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult
from kubexm.runner.kernel import SYSCTL_FILE, ensure_sysctl, get_sysctl
from kubexm.step.base import register_step
from kubexm.step.os.base import WarningEnsureStep


@register_step
@dataclass(frozen=True)
class WriteSysctl(WarningEnsureStep):
    """``/etc/sysctl.d/99-kubexm.conf`` lists ``params`` and the running kernel has every
    value it accepts.

    ``check`` finds it done when the file matches and every writable key has its value. Keys
    the kernel refuses (unknown, or read-only as most non-``net.*`` keys are in a container)
    stay in the file for the next boot and are reported as a warning. ``net.bridge.*`` needs
    ``br_netfilter``, so this runs after the kernel modules step.
    """

    name: ClassVar[str] = "os/write-sysctl"
    title: ClassVar[str] = "Write sysctl parameters"
    params: tuple[tuple[str, str], ...]

    def describe(self) -> str:
        return f"{self.title} ({len(self.params)} keys)"

    async def ensure_noting(self, host: Host) -> tuple[OpResult, list[str]]:
        values = dict(self.params)
        current = await get_sysctl(host, list(values))
        refused = sorted(k for k in values if k not in current or current[k].state != "rw")

        result = await ensure_sysctl(host, values, path=SYSCTL_FILE, tolerate_refused=True)
        if not refused:
            return result, []
        warning = (
            f"the kernel refuses sysctl {', '.join(refused)} (unknown or "
            f"read-only, as in a container); they stay in {SYSCTL_FILE} for the next boot"
        )
        return result, [warning]
