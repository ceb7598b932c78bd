"""Swap off now and at every boot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.kernel import FSTAB_BACKUP, ensure_swap_off, get_swap_state
from kubexm.step.base import register_step
from kubexm.step.os.base import WarningEnsureStep, in_container

_FSTAB_SWAP = r"^[^#]\S*\s+\S+\s+swap\s"


@register_step
@dataclass(frozen=True)
class StopSwap(WarningEnsureStep):
    """No swap is active and /etc/fstab mounts none at boot (kubelet refuses to run with
    swap by default). The first change keeps a copy of /etc/fstab at ``/etc/fstab.kubexm.bak``.

    ``check`` finds it done when /proc/swaps lists nothing and fstab has no active swap line.
    In a container the swap in /proc/swaps belongs to the machine running it: only fstab is
    edited and the active swap is reported as a warning, never turned off.
    """

    name: ClassVar[str] = "os/stop-swap"
    title: ClassVar[str] = "Stop swap"

    async def ensure_noting(self, host: Host) -> tuple[OpResult, list[str]]:
        active, in_fstab = await get_swap_state(host)
        if not active or not await in_container(host):
            return await ensure_swap_off(host), []

        results = []
        if in_fstab:
            cmd = (
                f"{{ [ -e {FSTAB_BACKUP} ] || cp -p /etc/fstab {FSTAB_BACKUP}; }} && "
                f"sed -i -E 's@^({_FSTAB_SWAP[1:]}.*)$@#\\1@' /etc/fstab"
            )
            results.append(await host.execute("comment out swap in /etc/fstab", cmd))
        warning = (
            "swap is active but belongs to the machine running this container; "
            "turn it off there (swapoff -a) or let kubelet tolerate swap"
        )
        return combine(results), [warning]
