"""The CNI plugin, planned on the first master: its objects, then the wait for Ready nodes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from kubexm.errors import PlanError
from kubexm.module.base import Module, register_module
from kubexm.plan import PlanContext
from kubexm.runtime.workdir import WorkDir
from kubexm.task import Task
from kubexm.task.cni import CniInstallTask, CniPlan, NodesReadyWaitTask


def work_dir_of(ctx: PlanContext) -> WorkDir:
    """The run context's work dir (artifacts are read from it); PlanError without one."""
    work = getattr(ctx, "work_dir", None)
    if not isinstance(work, WorkDir):
        raise PlanError(
            "planning the cluster add-ons needs the cluster's work dir (artifacts)",
            "plan with the runtime's RunContext (kubexm.runtime.build)",
        )
    return work


@register_module
class CNIModule(Module):
    """Installs ``network.plugin`` (calico, flannel or cilium) and waits for Ready nodes."""

    name: ClassVar[str] = "cni"
    description: ClassVar[str] = "Pod network (CNI)"

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        plan = CniPlan(work_dir_of(ctx).artifacts)
        return [CniInstallTask(plan), NodesReadyWaitTask(plan)]
