"""ClusterCheckModule: the three read-only checks on the first master."""

from __future__ import annotations

from pathlib import Path

from cluster_kit import Ctx, cluster

from kubexm.module.base import MODULES
from kubexm.module.cluster_check import ClusterCheckModule
from kubexm.plan import Graph


def test_plans_the_three_checks_in_order(tmp_path: Path) -> None:
    frag = ClusterCheckModule().plan(Ctx(cluster(), tmp_path))

    assert frag is not None
    Graph.from_fragment(frag, "t")
    assert [n.id for n in frag] == [
        "cluster/check-api-ready@m1",
        "cluster/check-nodes-ready@m1",
        "cluster/check-system-pods@m1",
    ]
    assert MODULES.get("cluster-check") is ClusterCheckModule
