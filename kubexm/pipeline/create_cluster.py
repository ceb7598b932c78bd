"""``kubexm create cluster``: every host from bare OS to a working cluster, in one graph.

Stages, each waiting for the one before (hosts never wait for unrelated hosts inside a stage):

    preflight -> os -> (runtime || etcd) -> load balancer -> Kubernetes -> cni -> dns -> addons
    -> cluster checks

The Kubernetes stage is the binary control plane and then kubelet/kube-proxy on every node
(``kubernetes.type: kubexm``), or kubeadm init and joins (``kubeadm``); each module plans
nothing for the other type. Modules that find nothing to do for the config plan no step.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass, field

import kubexm.module as module_package
from kubexm.module import MODULES, Module
from kubexm.module.etcd import EtcdModule
from kubexm.module.lb import LBModule
from kubexm.module.os import OSModule
from kubexm.module.preflight import PreflightModule
from kubexm.module.runtime import RuntimeModule
from kubexm.pipeline.base import Pipeline, register_pipeline
from kubexm.plan import Fragment, Graph, PlanContext, parallel, sequence

#: The Kubernetes layer in run order, by registered module name. A name that is not
#: registered in this build is left out (a module plans nothing for a config it does not
#: serve, so the order holds for both control-plane types).
KUBERNETES_MODULES = (
    "control-plane",
    "nodes",
    "kubeadm",
    "cni",
    "dns",
    "addons",
    "cluster-check",
)


def import_modules() -> None:
    """Import every module file of ``kubexm.module``: a module registers its name when its
    file is imported, and nothing else imports the Kubernetes layer."""
    for info in pkgutil.iter_modules(module_package.__path__):
        importlib.import_module(f"{module_package.__name__}.{info.name}")


def kubernetes_modules() -> list[Module]:
    """The registered modules of the Kubernetes layer, in run order."""
    import_modules()
    return [MODULES.get(name)() for name in KUBERNETES_MODULES if name in MODULES]


@register_pipeline
@dataclass
class CreateClusterPipeline(Pipeline):
    """The whole cluster. ``skip_preflight`` leaves the preflight checks out, ``skip`` names
    single checks to leave out; files of an earlier install are warnings here, because a
    second run (or a resumed one) finds kubexm's own."""

    name = "create-cluster"
    description = "install and configure every host and bring the cluster up"

    skip_preflight: bool = False
    skip: frozenset[str] = field(default_factory=frozenset)

    def modules(self, ctx: PlanContext) -> Sequence[Module]:
        """Every module in run order (runtime and etcd are planned side by side)."""
        first: list[Module] = []
        if not self.skip_preflight:
            first.append(PreflightModule(skip=self.skip, leftovers_fatal=False))
        node_layer = [OSModule(), RuntimeModule(), EtcdModule(), LBModule()]
        return [*first, *node_layer, *kubernetes_modules()]

    def plan(self, ctx: PlanContext) -> Graph:
        """Like ``Pipeline.plan``, except that runtime and etcd run side by side."""
        stages: list[Fragment | None] = []
        pending: list[Fragment | None] = []
        for module in self.modules(ctx):
            fragment = module.plan(ctx)
            if isinstance(module, RuntimeModule | EtcdModule):
                pending.append(fragment)
                continue
            if pending:
                stages.append(parallel("runtime-and-etcd", pending))
                pending = []
            stages.append(fragment)
        if pending:
            stages.append(parallel("runtime-and-etcd", pending))
        return Graph.from_fragment(sequence(self.name, stages), self.name)
