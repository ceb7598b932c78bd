"""The binary-mode node agents: kubelet and kube-proxy on every master and worker.

Planned after the control plane (the pipeline orders the modules). Per node, the start waits
only for that node's install; the labels, set from the first master, wait for every node's
start because each needs its Node registered. kubeadm mode plans nothing here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from kubexm.module.base import Module, register_module
from kubexm.plan import Fragment, PlanContext, sequence
from kubexm.task import Task
from kubexm.task.kubelet import KubeletInstallTask, KubeletLabelTask, KubeletStartTask


@register_module
class NodesModule(Module):
    """kubelet and kube-proxy under systemd, then node labels and taints."""

    name: ClassVar[str] = "nodes"
    description: ClassVar[str] = "run kubelet and kube-proxy on every node (binary mode)"

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        return (KubeletInstallTask(), KubeletStartTask(), KubeletLabelTask())

    def plan(self, ctx: PlanContext) -> Fragment | None:
        install, start, labels = (task.plan(ctx) for task in self.tasks(ctx))
        agents = sequence(self.name, (install, start), per_host=True)
        fragment = sequence(self.name, (agents, labels))
        return fragment if len(fragment) else None
