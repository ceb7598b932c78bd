from typing import Any

import pytest

from kubexm.apis.v1alpha1 import Cluster
from kubexm.config.rules_common import Findings
from kubexm.config.rules_hosts import check


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
