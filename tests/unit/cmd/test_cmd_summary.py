"""The summary after ``create cluster``: phases by step area, human lines, the JSON document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.cmd.summary import (
    Phase,
    endpoint,
    node_roles,
    phases,
    summary_dict,
    summary_lines,
)
from kubexm.config import load
from kubexm.engine import RunResult, RunStatus, Status
from kubexm.engine.result import NodeOutcome

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "matrix"
KUBECONFIG = Path("/work/.kubexm/row9-18/kubeconfig/admin.conf")


def outcome(
    node: str, status: Status, started: float | None = None, finished: float | None = None
) -> NodeOutcome:
    step, host = node.split("@")
    return NodeOutcome(node, host, step, status, started, finished)


def result(*outcomes: NodeOutcome, status: RunStatus = RunStatus.SUCCEEDED) -> RunResult:
    run = RunResult("run-1", "create-cluster", status, 100.0, 142.5, False)
    run.outcomes = {o.node: o for o in outcomes}
    return run


RUN = result(
    outcome("os/write-hostname@m1", Status.CHANGED, 101.0, 102.0),
    outcome("os/write-hostname@w1", Status.UNCHANGED, 101.5, 103.0),
    outcome("preflight/cpu@m1", Status.UNCHANGED, 100.0, 100.5),
    outcome("etcd/start-etcd@m1", Status.CHANGED, 104.0, 110.0),
    outcome("runtime/start-containerd@m1", Status.RESUMED, 103.5, 105.0),
    outcome("cni/install-cni-manifest@m1", Status.NOT_STARTED),
)


@pytest.fixture(scope="module")
def kh() -> Cluster:
    return load(next(EXAMPLE.glob("9.18-*.yaml"))).cluster


def test_phases_are_areas_in_start_order_with_wall_time_and_changes() -> None:
    found = phases(RUN)
    assert [p.name for p in found] == ["preflight", "os", "runtime", "etcd", "cni"]
    os_phase = found[1]
    assert os_phase == Phase("os", 2.0, 1, 2), "from the first start to the last finish"
    assert found[3] == Phase("etcd", 6.0, 1, 1)
    assert found[-1] == Phase("cni", 0.0, 0, 1), "a phase that never ran comes last, 0 s"


def test_an_empty_run_has_no_phases() -> None:
    assert phases(result()) == []


def test_endpoint_and_roles_come_from_the_config(kh: Cluster) -> None:
    assert endpoint(kh) == "https://lb.kubexm.local:6443"
    roles = node_roles(kh)
    assert list(roles) == ["master1", "master2", "master3", "worker1", "worker2", "lb1", "lb2"]
    assert roles["master1"] == ["master"] and roles["lb2"] == ["loadbalancer"]


def test_summary_lines_tell_status_counts_endpoint_nodes_and_phases(kh: Cluster) -> None:
    lines = summary_lines(kh, RUN, KUBECONFIG)
    assert lines[0] == (
        "cluster row9-18: succeeded in 42.5s (2 changed, 2 unchanged, 1 resumed, 0 failed)"
    )
    assert "  endpoint:   https://lb.kubexm.local:6443" in lines
    assert "  kubernetes: v1.36.4 (kubeadm)" in lines
    assert f"  kubeconfig: {KUBECONFIG}" in lines
    assert "    lb1                  loadbalancer" in lines
    assert lines[lines.index("  phases:") + 1] == "    preflight            0.5s  0/1 changed"
    assert "    etcd                 6.0s  1/1 changed" in lines


def test_a_failed_run_counts_its_failures(kh: Cluster) -> None:
    failed = result(
        outcome("os/write-hostname@master1", Status.FAILED, 1.0, 2.0), status=RunStatus.FAILED
    )
    first = summary_lines(kh, failed, KUBECONFIG)[0]
    assert first.startswith("cluster row9-18: failed in ") and first.endswith("1 failed)")


def test_summary_dict_is_the_json_document(kh: Cluster) -> None:
    doc = summary_dict(kh, RUN, KUBECONFIG)
    assert json.loads(json.dumps(doc)) == doc
    assert doc["cluster"] == "row9-18" and doc["endpoint"] == "https://lb.kubexm.local:6443"
    assert doc["kubernetes"] == {"type": "kubeadm", "version": "v1.36.4"}
    assert doc["nodes"]["worker2"] == ["worker"]
    assert doc["kubeconfig"] == str(KUBECONFIG)
    assert doc["phases"][2] == {"name": "runtime", "seconds": 1.5, "changed": 0, "nodes": 1}
    assert doc["run"]["status"] == "succeeded" and doc["run"]["counts"]["changed"] == 2
