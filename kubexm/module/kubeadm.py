"""kubeadm mode: kubeadm, kubelet and kubectl on every node, then the control plane.

Order: binaries and kubelet unit on every master and worker → the pre-seeded PKI on the
masters → ``kubeadm init`` on the first master → this run's join token and certificate
upload → the other masters join one at a time → the workers join in parallel → the token is
deleted → every node gets its role and configured labels and taints through the API. Each
stage waits for the previous one on every host: a join needs the running control plane and
the run's credentials from the first master. kube-proxy needs no step of its own: kubeadm
deploys it as a DaemonSet. Plans nothing when ``kubernetes.type`` is ``kubexm``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from kubexm.module.base import Module, register_module
from kubexm.plan import Fragment, PlanContext
from kubexm.task import Task
from kubexm.task.etcd import cluster_of
from kubexm.task.kubeadm import (
    KubeadmBinariesInstallTask,
    KubeadmCredentialsTask,
    KubeadmInitTask,
    KubeadmMasterJoinTask,
    KubeadmNodeLabelTask,
    KubeadmPkiUploadTask,
    KubeadmTokenRemoveTask,
    KubeadmWorkerJoinTask,
    kubeadm_mode,
)


@register_module
class KubeadmModule(Module):
    """The Kubernetes control plane and nodes made by kubeadm; see the module docstring."""

    name: ClassVar[str] = "kubeadm"
    description: ClassVar[str] = "bootstrap the cluster with kubeadm"

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        return (
            KubeadmBinariesInstallTask(),
            KubeadmPkiUploadTask(),
            KubeadmInitTask(),
            KubeadmCredentialsTask(),
            KubeadmMasterJoinTask(),
            KubeadmWorkerJoinTask(),
            KubeadmTokenRemoveTask(),
            KubeadmNodeLabelTask(),
        )

    def plan(self, ctx: PlanContext) -> Fragment | None:
        if not kubeadm_mode(cluster_of(ctx)):
            return None
        return super().plan(ctx)
