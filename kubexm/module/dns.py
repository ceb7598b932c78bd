"""Cluster DNS, planned on the first master: CoreDNS, then NodeLocal DNSCache."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from kubexm.module.base import Module, register_module
from kubexm.plan import PlanContext
from kubexm.task import Task
from kubexm.task.dns import CorednsInstallTask, NodelocaldnsInstallTask


@register_module
class DNSModule(Module):
    """CoreDNS (deployed in binary mode, its Corefile adjusted in kubeadm mode when the
    config asks) and NodeLocal DNSCache when enabled."""

    name: ClassVar[str] = "dns"
    description: ClassVar[str] = "Cluster DNS"

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        return [CorednsInstallTask(), NodelocaldnsInstallTask()]
