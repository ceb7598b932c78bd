"""Node and pod readings from kubectl JSON, and the polling helper."""

from __future__ import annotations

import json

import pytest
from cluster_step_helpers import items, node
from fakeconn import FakeConnection

from kubexm.connector.base import Result
from kubexm.errors import StepError
from kubexm.runner.host import Host
from kubexm.step.cluster.status import (
    get_node_problems,
    get_pod_problems,
    node_problems,
    pod_problems,
    wait_for,
)


def pod(name: str, phase: str, waiting: str = "", reason: str = "") -> dict[str, object]:
    statuses = [{"state": {"waiting": {"reason": waiting}}}] if waiting else []
    status: dict[str, object] = {"phase": phase, "containerStatuses": statuses}
    if reason:
        status["reason"] = reason
    return {"metadata": {"namespace": "kube-system", "name": name}, "status": status}


def test_node_problems_name_missing_and_not_ready_nodes() -> None:
    text = items(node("m1"), node("w1", False, "PLEG is not healthy"), node("x9", False))

    assert node_problems(text, ["m1", "w1", "w2"]) == [
        "w2: not registered",
        "w1: NotReady (PLEG is not healthy)",
        "x9: NotReady",
    ]


def test_a_node_without_a_ready_condition_is_not_ready() -> None:
    text = items({"metadata": {"name": "m1"}, "status": {}})

    assert node_problems(text, ["m1"]) == ["m1: NotReady (no Ready condition reported yet)"]


def test_pod_problems_skip_running_and_completed_pods() -> None:
    text = items(
        pod("coredns-1", "Running"),
        pod("job-1", "Succeeded"),
        pod("calico-node-x", "Running", waiting="CrashLoopBackOff"),
        pod("coredns-2", "Pending", reason="Unschedulable"),
    )

    assert pod_problems(text) == [
        "kube-system/calico-node-x: Running (CrashLoopBackOff)",
        "kube-system/coredns-2: Pending (Unschedulable)",
    ]


def test_output_that_is_not_json_is_a_step_error() -> None:
    with pytest.raises(StepError, match="nodes"):
        node_problems("error: something", [])


async def test_readers_ask_kubectl_on_the_host() -> None:
    fake = FakeConnection("m1")
    fake.script("get nodes -o json", Result(0, items(node("m1")), ""))
    fake.script("get pods -n kube-system -o json", Result(0, json.dumps({"items": []}), ""))

    assert await get_node_problems(Host(fake), ["m1"]) == []
    assert await get_pod_problems(Host(fake), "kube-system") == []
    assert all("--kubeconfig /etc/kubernetes/admin.conf" in c for c in fake.ran)


async def test_wait_for_stops_at_the_first_clean_reading() -> None:
    answers = [["a"], ["b"], []]

    async def read() -> list[str]:
        return answers.pop(0)

    assert await wait_for(read, 5.0, 0.0) == []
    assert answers == []


async def test_wait_for_returns_the_last_problems_when_time_is_up() -> None:
    async def read() -> list[str]:
        return ["still broken"]

    assert await wait_for(read, 0.0, 0.0) == ["still broken"]
