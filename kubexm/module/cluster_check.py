"""The post-checks of ``create cluster``, read-only, on the first master."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from kubexm.module.base import Module, register_module
from kubexm.plan import PlanContext
from kubexm.task import Task
from kubexm.task.cluster_check import ClusterCheckTask


@register_module
class ClusterCheckModule(Module):
    """/readyz through the control-plane endpoint, every node Ready, kube-system running."""

    name: ClassVar[str] = "cluster-check"
    description: ClassVar[str] = "Cluster health checks"

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        return [ClusterCheckTask()]
