"""The add-ons of ``spec.addons[]``, planned on the first master, one after another."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from kubexm.module.base import Module, register_module
from kubexm.module.cni import work_dir_of
from kubexm.plan import PlanContext
from kubexm.task import Task
from kubexm.task.addons import AddonsInstallTask
from kubexm.task.cni import cluster_of


@register_module
class AddonsModule(Module):
    """Every enabled add-on: helm charts (bundle, local archive or repository) and YAML."""

    name: ClassVar[str] = "addons"
    description: ClassVar[str] = "Add-ons"

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        if not any(addon.enabled for addon in cluster_of(ctx).spec.addons):
            return []
        offline = cluster_of(ctx).spec.global_.offline_mode
        return [AddonsInstallTask(work_dir_of(ctx).artifacts, offline=offline)]
