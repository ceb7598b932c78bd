"""The etcd area: a kubexm etcd cluster, nothing for kubeadm's stacked etcd, or a check of an
external one.

``kubexm`` (binaries under systemd): install on every member, then the join decisions, then
the starts, then the health wait, then the backup timer; each stage waits for the previous one
on every member, because a member may only start once every member decided whether it
bootstraps or joins, and health means the whole cluster. ``kubeadm``: no step (the static pods
come with the control plane). ``external``: one read-only check per master.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from kubexm.module.base import Module, register_module
from kubexm.plan import PlanContext
from kubexm.task import Task
from kubexm.task.etcd import (
    EtcdBackupTask,
    EtcdExternalCheckTask,
    EtcdInstallTask,
    EtcdJoinTask,
    EtcdStartTask,
    EtcdWaitTask,
)


@register_module
class EtcdModule(Module):
    """etcd for the cluster, by ``spec.etcd.type``; see the module docstring for the shape."""

    name: ClassVar[str] = "etcd"
    description: ClassVar[str] = "deploy or check the cluster's etcd"

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        return (
            EtcdInstallTask(),
            EtcdJoinTask(),
            EtcdStartTask(),
            EtcdWaitTask(),
            EtcdBackupTask(),
            EtcdExternalCheckTask(),
        )
