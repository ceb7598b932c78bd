"""Join another master to the control plane (``kubeadm join`` with ``controlPlane``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.step.base import register_step
from kubexm.step.kubeadm.joining import KubeadmJoin


@register_step
@dataclass(frozen=True)
class JoinControlPlane(KubeadmJoin):
    """End state: this master is a control-plane node of the cluster (``kubelet.conf``
    exists; kubeadm made its static pods from the certificates it fetched with the run's
    certificate key, or found pre-seeded). Discovery pins the CA by ``ca_hashes`` and never
    skips its verification.

    ``check`` finds it done when ``/etc/kubernetes/kubelet.conf`` exists. One master at a time
    across the cluster (``serial_group``): a new etcd member or apiserver must settle before
    the next joins. Fails with ``StepError`` when the run holds no token or key for it and
    ``CommandError`` when kubeadm fails.
    """

    name: ClassVar[str] = "kubeadm/join-control-plane"
    title: ClassVar[str] = "Join control plane"
    serial_group: ClassVar[str | None] = "kubeadm-control-plane"
