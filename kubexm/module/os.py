"""The OS preparation of every host, before any Kubernetes component is installed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from kubexm.module.base import Module, register_module
from kubexm.plan import PlanContext
from kubexm.task import Task
from kubexm.task.os import (
    HostsConfigureTask,
    KernelConfigureTask,
    OSPackagesInstallTask,
    TimeSyncConfigureTask,
)


@register_module
class OSModule(Module):
    """Name resolution, base packages, kernel settings and time, host by host.

    Each task only depends on the earlier tasks on the same host (``per_host``), so a slow
    package install on one host does not hold back the others. Chrony comes after the
    packages because the package task installs it.
    """

    name: ClassVar[str] = "os"
    description: ClassVar[str] = "prepare the operating system of every host"
    per_host: ClassVar[bool] = True

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        return [
            HostsConfigureTask(),
            OSPackagesInstallTask(),
            KernelConfigureTask(),
            TimeSyncConfigureTask(),
        ]
