"""PreflightCheckTask: which checks on which hosts, with what requirements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import load_text
from kubexm.errors import PlanError
from kubexm.step.preflight import CHECK_NAMES, CheckHost
from kubexm.task.preflight import (
    PreflightCheckTask,
    check_node_id,
    clashes,
    cluster_of,
    required_modules,
    requirements_for,
    role_ports,
)

CONFIG = """\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: pf}
spec:
  global: {user: ops, password: "s3cret-pass"}
  hosts:
    - {name: m1, address: 10.0.0.11}
    - {name: m2, address: 10.0.0.12}
    - {name: m3, address: 10.0.0.13}
    - {name: w1, address: 10.0.0.21, arch: arm64}
    - {name: w2, address: 10.0.0.22}
  roleGroups:
    master: ["m[1:3]"]
    worker: [w1, w2]
  kubernetes: {type: kubeadm, version: v1.36.4, kubeProxy: {mode: iptables}}
  etcd: {type: kubeadm}
  preflight: {minCPUCores: 1, minMemoryMB: 1024, skipChecks: [swap]}
"""


def _cluster(text: str = CONFIG) -> Cluster:
    return load_text(text, source="t.yaml").cluster


@dataclass
class Plan:
    config: object
    host_facts: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    def hosts_with_role(self, role: str) -> Sequence[str]:
        return []

    def facts(self, host: str) -> Mapping[str, object]:
        return self.host_facts.get(host, {})


def _facts(**hostnames: str) -> dict[str, dict[str, object]]:
    return {
        host: {"hostname": name, "default_ipv4": f"192.168.0.{i}"}
        for i, (host, name) in enumerate(hostnames.items())
    }


def test_masters_need_control_plane_and_etcd_ports_workers_kubelet_and_local_lb() -> None:
    cluster = _cluster()
    assert role_ports(cluster, "m1") == (2379, 2380, 6443, 10250, 10257, 10259)
    # Three masters and no LB configured: haproxy on every worker at 127.0.0.1:6443.
    assert role_ports(cluster, "w1") == (6443, 10250)


def test_masters_need_more_cpu_and_memory_than_workers() -> None:
    cluster = _cluster()
    master, worker = requirements_for(cluster, "m1"), requirements_for(cluster, "w1")
    assert (master.min_cpus, master.min_memory_mib, master.min_var_lib_mib) == (2, 2048, 10240)
    assert (worker.min_cpus, worker.min_memory_mib, worker.min_var_lib_mib) == (1, 1024, 5120)
    assert worker.arch == "arm64" and master.arch == "amd64"
    assert master.runtime == "containerd" and master.runtime_version == ""


def test_ipvs_modules_only_when_kube_proxy_uses_ipvs() -> None:
    assert required_modules(_cluster()) == ("overlay", "br_netfilter")
    ipvs = _cluster(CONFIG.replace("mode: iptables", "mode: ipvs"))
    assert "ip_vs" in required_modules(ipvs)


def test_clashes_maps_each_host_to_the_others_with_the_same_value() -> None:
    found = clashes([("a", "x"), ("b", "x"), ("c", "y"), ("d", ""), ("e", "")])
    assert found == {"a": ("b",), "b": ("a",)}


def test_build_plans_every_check_on_every_host_with_facts_minus_skipped() -> None:
    facts = _facts(m1="m1", m2="m2", m3="m3", w1="w1")  # w2 gave no facts
    fragment = PreflightCheckTask(skip=frozenset({"clock"})).build(Plan(_cluster(), facts))
    expected = [c for c in CHECK_NAMES if c not in ("clock", "swap")]
    assert fragment.hosts() == ["m1", "m2", "m3", "w1"]
    assert len(fragment) == 4 * len(expected)
    assert check_node_id("cpu", "m1") in fragment.nodes
    assert all(not node.deps for node in fragment)


def test_duplicate_hostnames_and_addresses_reach_each_host_involved() -> None:
    facts = _facts(m1="m1", m2="M1", m3="m3", w1="w1", w2="w2")
    facts["w2"]["default_ipv4"] = facts["w1"]["default_ipv4"]
    fragment = PreflightCheckTask().build(Plan(_cluster(), facts))
    step = fragment.nodes[check_node_id("hostname-unique", "m2")].step
    assert isinstance(step, CheckHost) and step.requirements.same_hostname == ("m1",)
    step = fragment.nodes[check_node_id("address-unique", "w1")].step
    assert isinstance(step, CheckHost) and step.requirements.same_address == ("w2",)


def test_plan_without_a_cluster_config_is_a_plan_error() -> None:
    with pytest.raises(PlanError):
        cluster_of(Plan(config={"not": "a cluster"}))


def test_task_plans_nothing_when_no_host_has_facts() -> None:
    assert PreflightCheckTask().plan(Plan(_cluster())) is None
