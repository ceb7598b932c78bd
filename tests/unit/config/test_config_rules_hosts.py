from typing import Any

import pytest

from kubexm.apis.v1alpha1 import Cluster
from kubexm.config.rules_common import Findings
from kubexm.config.rules_hosts import check, is_node_name


def cluster(masters: int = 1, **spec: Any) -> Cluster:
    hosts = [{"name": f"n{i}", "address": f"10.0.0.{i}"} for i in range(1, 4)]
    groups = {
        "master": [f"n{i}" for i in range(1, masters + 1)],
        "etcd": ["n1"],
        "worker": ["n[1:3]"],
    }
    body: dict[str, Any] = {"hosts": hosts, "roleGroups": groups, "global": {"password": "p"}}
    body.update(spec)
    return Cluster.model_validate({"metadata": {"name": "h"}, "spec": body})


def run(c: Cluster) -> Findings:
    found = Findings()
    check(c, found)
    return found


def test_valid_inventory_has_no_findings() -> None:
    found = run(cluster())
    assert found.problems == []
    assert found.warnings == []


def test_even_master_and_etcd_counts_warn() -> None:
    found = run(
        cluster(
            masters=2, roleGroups={"master": ["n1", "n2"], "etcd": ["n1", "n2"], "worker": ["n3"]}
        )
    )
    assert found.problems == []
    assert [w.split(":")[0] for w in found.warnings] == [
        "spec.roleGroups.master",
        "spec.roleGroups.etcd",
    ]


def test_etcd_group_is_ignored_with_kubeadm_etcd() -> None:
    found = run(cluster(etcd={"type": "kubeadm"}))
    assert found.warnings == ["spec.roleGroups.etcd: ignored with etcd.type kubeadm"]


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        pytest.param({"hosts": []}, "spec.hosts", id="no-hosts"),
        pytest.param(
            {"roleGroups": {"master": ["n1"], "etcd": ["n1"], "worker": ["n9"]}},
            "spec.roleGroups.worker",
            id="unknown-member",
        ),
        pytest.param(
            {"roleGroups": {"master": ["n1"], "etcd": ["n1"]}}, "spec.hosts[1]", id="no-role"
        ),
        pytest.param(
            {"roleGroups": {"etcd": ["n1"], "worker": ["n[1:3]"]}},
            "spec.roleGroups.master",
            id="no-master",
        ),
        pytest.param(
            {"global": {"password": "p", "privateKeyPath": "/k"}}, "spec.global", id="global-two"
        ),
        pytest.param({"global": {}}, "spec.hosts[0]", id="no-credentials"),
        pytest.param(
            {"roleGroups": {"master": ["n1"], "worker": ["n[1:3]"]}},
            "spec.roleGroups.etcd",
            id="kubexm-etcd-empty",
        ),
    ],
)
def test_inventory_problems(spec: dict[str, Any], path: str) -> None:
    assert path in [p.path for p in run(cluster(**spec)).problems]


def test_local_hosts_need_no_credentials() -> None:
    data = cluster().model_dump(by_alias=True, exclude_none=True, mode="json")
    data["spec"]["global"] = {}
    for host in data["spec"]["hosts"]:
        host["type"] = "local"
    assert run(Cluster.model_validate(data)).problems == []


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        pytest.param("node-1", True, id="plain"),
        pytest.param("m1.dc1.example.com", True, id="subdomain"),
        pytest.param("a" * 63, True, id="label-63"),
        pytest.param(".".join(["a" * 63] * 3 + ["a" * 61]), True, id="total-253"),
        pytest.param("M1_", False, id="upper-underscore"),
        pytest.param("node one", False, id="space"),
        pytest.param("../../etc", False, id="path"),
        pytest.param("-node", False, id="leading-dash"),
        pytest.param("node-", False, id="trailing-dash"),
        pytest.param("node..a", False, id="empty-label"),
        pytest.param("a" * 64, False, id="label-64"),
        pytest.param(".".join(["a" * 63] * 4), False, id="total-255"),
    ],
)
def test_node_names_follow_rfc_1123_subdomains(name: str, valid: bool) -> None:
    assert is_node_name(name) is valid


def test_bad_host_name_is_reported_at_the_name_with_a_hint() -> None:
    c = cluster(roleGroups={"master": ["N_1"], "etcd": ["N_1"], "worker": ["n[2:3]"]})
    c.spec.hosts[0].name = "N_1"
    problems = [p for p in run(c).problems if p.path == "spec.hosts[0].name"]
    assert len(problems) == 1
    assert "N_1" in problems[0].message and "lowercase" in problems[0].hint


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        pytest.param({}, True, id="dns-without-ip"),
        pytest.param({"internalAddress": "10.0.0.1"}, False, id="dns-with-ip"),
    ],
)
def test_dns_address_needs_an_internal_ip(extra: dict[str, str], problem: bool) -> None:
    data = cluster().model_dump(by_alias=True, exclude_none=True, mode="json")
    data["spec"]["hosts"][0].update({"address": "n1.example.com", **extra})
    paths = [p.path for p in run(Cluster.model_validate(data)).problems]
    assert ("spec.hosts[0].internalAddress" in paths) is problem
