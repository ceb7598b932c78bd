"""Join a worker to the cluster with ``kubeadm join``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.step.base import register_step
from kubexm.step.kubeadm.joining import KubeadmJoin


@register_step
@dataclass(frozen=True)
class JoinWorker(KubeadmJoin):
    """End state: this worker's kubelet is registered (``kubelet.conf`` exists) after a
    TLS bootstrap with the run's token; discovery pins the CA by ``ca_hashes`` and never
    skips its verification. Workers join in parallel.

    ``check`` finds it done when ``/etc/kubernetes/kubelet.conf`` exists. Fails with
    ``StepError`` when the run holds no token and ``CommandError`` when kubeadm fails.
    """

    name: ClassVar[str] = "kubeadm/join-worker"
    title: ClassVar[str] = "Join worker"
