"""The post-checks of a finished cluster, read-only, on the first master: the API server
answers /readyz through the control-plane endpoint, every node is Ready, every kube-system
pod runs.
"""

from __future__ import annotations

from typing import ClassVar

from kubexm.plan import Fragment, PlanContext
from kubexm.step.cluster.check_api_ready import CheckApiReady
from kubexm.step.cluster.check_nodes_ready import CheckNodesReady
from kubexm.step.cluster.check_system_pods import CheckSystemPods
from kubexm.task.base import Task
from kubexm.task.cni import cluster_of, first_master, kube_nodes


class ClusterCheckTask(Task):
    """/readyz through the endpoint, then nodes, then kube-system pods."""

    name: ClassVar[str] = "cluster-check/check"
    description: ClassVar[str] = "Check the cluster is healthy"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        host = first_master(cluster)
        cpe = cluster.spec.control_plane_endpoint
        frag = Fragment(self.name)
        api = frag.add(CheckApiReady(f"https://{cpe.domain}:{cpe.port}"), host)
        nodes = frag.add(CheckNodesReady(kube_nodes(cluster)), host, after=[api])
        frag.add(CheckSystemPods(), host, after=[nodes])
        return frag
