"""SELinux out of the way of container runtimes and kubelet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult
from kubexm.runner.system import ensure_selinux_off
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep


@register_step
@dataclass(frozen=True)
class WriteSelinuxMode(EnsureStep):
    """SELinux is permissive now (``setenforce 0``) and ``SELINUX=disabled`` in
    /etc/selinux/config for the next boot; hosts without SELinux are left alone.

    ``check`` finds it done when ``getenforce`` is not Enforcing and the config says disabled.
    """

    name: ClassVar[str] = "os/write-selinux-mode"
    title: ClassVar[str] = "Write SELinux permissive mode"

    async def ensure(self, host: Host) -> OpResult:
        return await ensure_selinux_off(host)
