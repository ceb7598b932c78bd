"""A PKIPlan built from a config carries the config's hosts, endpoint and lifetimes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from kubexm.config import load, load_text
from kubexm.pki.fromconfig import plan_from_cluster

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_binary_mode_issues_node_credentials_with_their_endpoint() -> None:
    cluster = load(EXAMPLES / "binary-mode.yaml").cluster
    plan = plan_from_cluster(cluster)
    names = [m.name for m in plan.nodes]
    assert names == list(
        dict.fromkeys(
            [h.name for h in cluster.masters] + [h.name for h in cluster.hosts_in_role("worker")]
        )
    )
    for member in plan.nodes:
        assert member.endpoint == cluster.api_endpoint_for(member.name).server


def test_kubeadm_mode_leaves_node_credentials_to_kubeadm() -> None:
    plan = plan_from_cluster(load(EXAMPLES / "ha-kubexm-kh.yaml").cluster)
    assert plan.nodes == ()
    assert plan.endpoint_address  # the VIP goes into the apiserver SANs


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_builds_a_plan(example: Path) -> None:
    cluster = load(example).cluster
    plan = plan_from_cluster(cluster)
    assert [m.name for m in plan.masters] == [h.name for h in cluster.masters]
    assert [m.name for m in plan.etcd] == [h.name for h in cluster.etcd_members()]
    assert plan.cluster_name == cluster.cluster_name


def test_lifetimes_and_key_type_come_through() -> None:
    text = (EXAMPLES / "single-master.yaml").read_text()
    text += "  certs:\n    caDuration: 43800h\n    certDuration: 720h\n"
    cluster = load_text(text).cluster
    plan = plan_from_cluster(cluster, key_type="ecdsa")
    assert plan.ca_validity == timedelta(hours=43800)
    assert plan.leaf_validity == timedelta(hours=720)
    assert plan.key_type == "ecdsa"


@pytest.mark.parametrize(
    ("example", "etcd_pki"),
    [
        pytest.param("external-etcd.yaml", False, id="external"),
        pytest.param("ha-kubexm-kh.yaml", True, id="kubexm"),
        pytest.param("single-master.yaml", True, id="kubeadm"),
    ],
)
def test_only_an_external_etcd_goes_without_an_etcd_pki(example: str, etcd_pki: bool) -> None:
    assert plan_from_cluster(load(EXAMPLES / example).cluster).etcd_pki is etcd_pki


def test_rekey_comes_through_and_is_off_by_default() -> None:
    cluster = load(EXAMPLES / "single-master.yaml").cluster
    assert plan_from_cluster(cluster).rekey is False
    assert plan_from_cluster(cluster, key_type="ecdsa", rekey=True).rekey is True
