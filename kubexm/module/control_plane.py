"""The binary-mode control plane (``kubernetes.type: kubexm``) on the masters.

Install on every master (certificates, kubeconfigs, binaries, units), then start and wait for
``/readyz`` on every master, then the RBAC from the first master. Each stage waits for the
previous one on every master: the RBAC needs a ready API server, and every master must carry
its files before any is started. kubeadm mode plans nothing here (see the ``kubeadm`` module).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from kubexm.module.base import Module, register_module
from kubexm.plan import PlanContext
from kubexm.task import Task
from kubexm.task.control_plane import (
    ControlPlaneInstallTask,
    ControlPlaneRbacTask,
    ControlPlaneStartTask,
)


@register_module
class ControlPlaneModule(Module):
    """kube-apiserver, kube-controller-manager and kube-scheduler under systemd."""

    name: ClassVar[str] = "control-plane"
    description: ClassVar[str] = "run the control plane as systemd services (binary mode)"

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        return (ControlPlaneInstallTask(), ControlPlaneStartTask(), ControlPlaneRbacTask())
