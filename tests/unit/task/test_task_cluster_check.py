"""ClusterCheckTask: /readyz through the endpoint, then nodes, then pods, on the first master."""

from __future__ import annotations

from pathlib import Path

from cluster_kit import Ctx, cluster

from kubexm.step.cluster.check_api_ready import CheckApiReady
from kubexm.step.cluster.check_nodes_ready import CheckNodesReady
from kubexm.step.cluster.check_system_pods import CheckSystemPods
from kubexm.task.cluster_check import ClusterCheckTask


def test_checks_run_in_order_on_the_first_master(tmp_path: Path) -> None:
    ctx = Ctx(cluster("  controlPlaneEndpoint: {domain: api.example, port: 8443}\n"), tmp_path)

    nodes = list(ClusterCheckTask().plan(ctx) or [])

    assert [type(n.step) for n in nodes] == [CheckApiReady, CheckNodesReady, CheckSystemPods]
    assert {n.host for n in nodes} == {"m1"}
    api, ready, pods = nodes
    assert isinstance(api.step, CheckApiReady) and isinstance(ready.step, CheckNodesReady)
    assert api.step.endpoint == "https://api.example:8443"
    assert api.id in ready.deps and ready.id in pods.deps
    assert ready.step.nodes == ("m1", "m2", "w1")
