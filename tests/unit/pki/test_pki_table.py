from __future__ import annotations

import pytest
from pkitest_helpers import make_plan

from kubexm.pki.model import Member
from kubexm.pki.table import (
    CAS,
    LEAVES,
    SAN_RULES,
    LeafRequest,
    cas_for,
    host_stem,
    leaf_requests,
)


def _by_name(requests: list[LeafRequest]) -> dict[str, LeafRequest]:
    return {req.name: req for req in requests}


def test_every_row_names_a_known_ca_and_san_rule() -> None:
    ca_names = {ca.name for ca in CAS}
    for row in LEAVES:
        assert row.ca in ca_names, row.name
        assert row.sans in SAN_RULES, row.name


def test_leaf_requests_expand_per_etcd_member_and_per_node() -> None:
    names = [req.name for req in leaf_requests(make_plan())]
    assert names == [
        "apiserver",
        "apiserver-kubelet-client",
        "apiserver-etcd-client",
        "front-proxy-client",
        "etcd/e1-server",
        "etcd/e2-server",
        "etcd/e1-peer",
        "etcd/e2-peer",
        "etcd/healthcheck-client",
        "clients/admin",
        "clients/super-admin",
        "clients/controller-manager",
        "clients/scheduler",
        "clients/kube-proxy",
        "kubelet/m1-client",
        "kubelet/w1-client",
        "kubelet/m1-serving",
        "kubelet/w1-serving",
    ]


def test_no_etcd_members_and_no_nodes_means_no_per_host_leaves() -> None:
    names = {req.name for req in leaf_requests(make_plan(etcd=(), nodes=()))}
    assert not any(name.startswith(("etcd/e", "kubelet/")) for name in names)
    assert "etcd/healthcheck-client" in names


def test_apiserver_sans_follow_the_rule() -> None:
    sans = _by_name(leaf_requests(make_plan()))["apiserver"].profile.sans
    assert set(sans) == {
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "10.96.0.1",
        "fd00:96::1",
        "localhost",
        "127.0.0.1",
        "lb.kubexm.local",
        "192.168.10.100",
        "m1",
        "192.168.10.11",
        "m2",
        "192.168.10.12",
        "fd00:10::12",
        "api.example.com",
        "203.0.113.7",
    }
    assert len(sans) == len(set(sans))


def test_apiserver_sans_use_the_dns_domain_and_skip_a_missing_address() -> None:
    plan = make_plan(dns_domain="corp.internal", endpoint_address=None, cert_extra_sans=())
    sans = _by_name(leaf_requests(plan))["apiserver"].profile.sans
    assert "kubernetes.default.svc.corp.internal" in sans
    assert "192.168.10.100" not in sans


def test_etcd_member_sans_cover_name_loopback_and_addresses() -> None:
    req = _by_name(leaf_requests(make_plan()))["etcd/e2-peer"]
    assert req.ca == "etcd/ca"
    assert req.profile.cn == "e2"
    assert set(req.profile.sans) == {"e2", "localhost", "192.168.10.22", "127.0.0.1", "::1"}


def test_kubelet_leaves_name_the_node() -> None:
    reqs = _by_name(leaf_requests(make_plan()))
    client, serving = reqs["kubelet/w1-client"], reqs["kubelet/w1-serving"]
    assert (client.profile.cn, client.profile.orgs) == ("system:node:w1", ("system:nodes",))
    assert client.profile.sans == ()
    assert serving.profile.sans == ("w1", "192.168.10.31")
    assert serving.profile.ext_key_usages == ("serverAuth",)


@pytest.mark.parametrize(
    "group", ["kubeadm:cluster-admins", "system:masters"], ids=["k8s-1.29+", "k8s-1.28"]
)
def test_admin_group_reaches_admin_and_kubelet_client(group: str) -> None:
    reqs = _by_name(leaf_requests(make_plan(admin_group=group)))
    assert reqs["clients/admin"].profile.orgs == (group,)
    assert reqs["apiserver-kubelet-client"].profile.orgs == (group,)
    assert reqs["clients/super-admin"].profile.orgs == ("system:masters",)


@pytest.mark.parametrize("rule", sorted(SAN_RULES), ids=str)
def test_san_rules_return_nothing_without_a_member_when_per_host(rule: str) -> None:
    result = SAN_RULES[rule](make_plan(), None)
    assert (result != []) == (rule == "apiserver")


def test_san_rule_for_a_member_with_ipv6_address() -> None:
    member = Member("e9", ("fd00::9",))
    assert "fd00::9" in SAN_RULES["etcd-member"](make_plan(), member)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ca", "/etc/kubernetes/pki/ca"),
        ("apiserver", "/etc/kubernetes/pki/apiserver"),
        ("etcd/ca", "/etc/kubernetes/pki/etcd/ca"),
        ("etcd/node-1-server", "/etc/kubernetes/pki/etcd/server"),
        ("etcd/node-1-peer", "/etc/kubernetes/pki/etcd/peer"),
        ("etcd/healthcheck-client", "/etc/kubernetes/pki/etcd/healthcheck-client"),
        ("kubelet/w1-serving", "/var/lib/kubelet/pki/kubelet"),
        ("kubelet/w1-client", None),
        ("clients/admin", None),
    ],
    ids=str,
)
def test_host_stem_maps_local_names_to_kubeadm_paths(name: str, expected: str | None) -> None:
    assert host_stem(name) == expected


def test_without_etcd_pki_nothing_signed_by_the_etcd_ca_is_planned() -> None:
    plan = make_plan(etcd_pki=False)
    names = [req.name for req in leaf_requests(plan)]
    assert [spec.name for spec in cas_for(plan)] == ["ca", "front-proxy-ca"]
    assert not [name for name in names if name.startswith("etcd/")]
    assert "apiserver-etcd-client" not in names
    assert {"apiserver", "front-proxy-client", "clients/admin"} <= set(names)
    assert [spec.name for spec in cas_for(make_plan())] == [spec.name for spec in CAS]
