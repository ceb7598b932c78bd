from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubexm.apis.v1alpha1 import Cluster
from kubexm.common.matrix import matrix_row
from kubexm.config.rules_common import Findings
from kubexm.config.rules_topology import check


def cluster(masters: int = 3, lb_hosts: int = 0, **spec: Any) -> Cluster:
    hosts = [{"name": f"m{i}", "address": f"10.0.0.{i}"} for i in range(1, masters + 1)]
    hosts += [{"name": "w1", "address": "10.0.1.1"}]
    hosts += [{"name": f"lb{i}", "address": f"10.0.2.{i}"} for i in range(1, lb_hosts + 1)]
    groups = {
        "master": [f"m{i}" for i in range(1, masters + 1)],
        "etcd": [f"m{i}" for i in range(1, masters + 1)],
        "worker": ["w1"],
        "loadbalancer": [f"lb{i}" for i in range(1, lb_hosts + 1)],
    }
    body: dict[str, Any] = {"hosts": hosts, "roleGroups": groups, "global": {"password": "p"}}
    body.update(spec)
    return Cluster.model_validate({"metadata": {"name": "t"}, "spec": body})


def run(c: Cluster, allow_unsupported: bool = False) -> Findings:
    found = Findings(allow_unsupported=allow_unsupported)
    check(c, found)
    return found


def paths(c: Cluster) -> list[str]:
    return [p.path for p in run(c).problems]


def test_default_ha_cluster_is_valid() -> None:
    assert run(cluster()).problems == []


def test_unsupported_version_is_an_error_or_a_warning() -> None:
    old = cluster(kubernetes={"version": "v1.29.0"})
    assert paths(old) == ["spec.kubernetes.version"]
    found = run(old, allow_unsupported=True)
    assert found.problems == []
    assert found.warnings[0].startswith("spec.kubernetes.version: Kubernetes v1.29.0")


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        pytest.param(
            {"kubernetes": {"type": "kubexm"}, "etcd": {"type": "kubeadm"}},
            "spec.etcd.type",
            id="kubexm-kubeadm-etcd",
        ),
        pytest.param(
            {
                "controlPlaneEndpoint": {
                    "externalLoadBalancer": "kubexm-kh",
                    "address": "10.0.0.100",
                }
            },
            "spec.roleGroups.loadbalancer",
            id="kh-no-hosts",
        ),
        pytest.param(
            {"lb_hosts": 2, "controlPlaneEndpoint": {"externalLoadBalancer": "kubexm-kn"}},
            "spec.controlPlaneEndpoint.address",
            id="kn-no-vip",
        ),
        pytest.param(
            {
                "lb_hosts": 1,
                "controlPlaneEndpoint": {
                    "externalLoadBalancer": "external",
                    "address": "10.0.0.100",
                },
            },
            "spec.roleGroups.loadbalancer",
            id="external-with-hosts",
        ),
        pytest.param(
            {"masters": 1, "controlPlaneEndpoint": {"internalLoadbalancer": "nginx"}},
            "spec.controlPlaneEndpoint.internalLoadbalancer",
            id="lb-one-master",
        ),
        pytest.param(
            {
                "controlPlaneEndpoint": {
                    "externalLoadBalancer": "external",
                    "internalLoadbalancer": "haproxy",
                    "address": "10.0.0.100",
                }
            },
            "spec.controlPlaneEndpoint.internalLoadbalancer",
            id="both",
        ),
        pytest.param(
            {"controlPlaneEndpoint": {"internalLoadbalancer": "kube-vip", "address": "10.0.0.2"}},
            "spec.controlPlaneEndpoint.address",
            id="vip-taken",
        ),
        pytest.param(
            {
                "controlPlaneEndpoint": {
                    "externalDNS": True,
                    "internalLoadbalancer": "kube-vip",
                    "address": "10.0.0.100",
                }
            },
            "spec.controlPlaneEndpoint.address",
            id="external-dns",
        ),
        pytest.param(
            {"kubernetes": {"kubeProxy": {"enable": False, "mode": "iptables"}}},
            "spec.kubernetes.kubeProxy.mode",
            id="proxy-mode",
        ),
        pytest.param(
            {
                "etcd": {
                    "type": "external",
                    "external": {"endpoints": ["https://e:2379"], "certFile": "/c"},
                }
            },
            "spec.etcd.external.keyFile",
            id="half-pair",
        ),
    ],
)
def test_topology_problems(kwargs: dict[str, Any], path: str) -> None:
    assert path in paths(cluster(**kwargs))


def test_lb_hosts_without_a_kh_kn_lb_warn() -> None:
    found = run(cluster(lb_hosts=1))
    assert found.problems == []
    assert found.warnings == ["spec.roleGroups.loadbalancer: unused with load balancer haproxy"]


def test_short_election_timeout_warns() -> None:
    found = run(
        cluster(
            etcd={"performance": {"heartbeatIntervalMillis": 500, "electionTimeoutMillis": 1000}}
        )
    )
    assert found.warnings == [
        "spec.etcd.performance.electionTimeoutMillis: "
        "should be at least 5 times heartbeatIntervalMillis"
    ]


KH = {"externalLoadBalancer": "kubexm-kh", "address": "10.0.0.100"}


@pytest.mark.parametrize(
    ("cpe", "kind"),
    [
        pytest.param({}, "haproxy", id="default-haproxy"),
        pytest.param({"internalLoadbalancer": "nginx"}, "nginx", id="nginx"),
        pytest.param(
            {"internalLoadbalancer": "kube-vip", "address": "10.0.0.100"}, "kube-vip", id="vip"
        ),
        pytest.param(
            {"externalLoadBalancer": "external", "address": "10.0.0.100"}, "external", id="ext"
        ),
    ],
)
def test_keepalived_with_a_load_balancer_without_keepalived_is_an_error(
    cpe: dict[str, str], kind: str
) -> None:
    found = run(cluster(controlPlaneEndpoint=cpe | {"keepalived": {"unicast": False}}))
    (problem,) = found.problems
    assert problem.path == "spec.controlPlaneEndpoint.keepalived"
    assert f"the load balancer here is {kind}" in problem.message
    assert "kubexm-kh or kubexm-kn" in problem.hint


@pytest.mark.parametrize("lb", ["kubexm-kh", "kubexm-kn"])
def test_keepalived_with_kh_or_kn_is_valid(lb: str) -> None:
    settings = {"virtualRouterId": 255, "unicast": True}
    cpe = KH | {"externalLoadBalancer": lb, "keepalived": settings}
    found = run(cluster(lb_hosts=2, controlPlaneEndpoint=cpe))
    assert (found.problems, found.warnings) == ([], [])


def test_unicast_with_one_loadbalancer_host_is_a_warning_with_the_fix() -> None:
    found = run(cluster(lb_hosts=1, controlPlaneEndpoint=KH | {"keepalived": {"unicast": True}}))
    assert found.problems == []
    (warning,) = found.warnings
    assert warning.startswith("spec.controlPlaneEndpoint.keepalived.unicast: has no effect")
    assert "add a second host to spec.roleGroups.loadbalancer" in warning


def test_multicast_with_one_loadbalancer_host_is_fine() -> None:
    found = run(cluster(lb_hosts=1, controlPlaneEndpoint=KH | {"keepalived": {}}))
    assert (found.problems, found.warnings) == ([], [])


def test_unicast_needs_every_lb_host_in_the_family_of_the_vip() -> None:
    c = cluster(
        lb_hosts=2,
        controlPlaneEndpoint=KH | {"address": "fd00::100", "keepalived": {"unicast": True}},
    )
    c.spec.hosts[-1].internal_address = "10.0.2.2,fd00::22"
    problems = run(c).problems
    # Hosts: m1-m3, w1, lb1, lb2; only lb1 lacks an IPv6 address.
    assert [p.path for p in problems] == ["spec.hosts[4].internalAddress"]
    assert "lb1 has no IPv6 address" in problems[0].message


PAIRS = [("kubeadm", "kubeadm"), ("kubexm", "kubexm"), ("kubeadm", "kubexm"), ("kubexm", "kubeadm")]
LBS = [None, "haproxy", "nginx", "kube-vip", "none", "kubexm-kh", "kubexm-kn", "external"]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(PAIRS), st.sampled_from(LBS), st.integers(min_value=1, max_value=4))
def test_validation_accepts_exactly_the_matrix(
    pair: tuple[str, str], lb: str | None, masters: int
) -> None:
    k8s, etcd = pair
    cpe: dict[str, str] = {}
    if lb in ("kubexm-kh", "kubexm-kn", "external"):
        cpe = {"externalLoadBalancer": lb, "address": "10.0.9.9"}
    elif lb is not None:
        cpe = {"internalLoadbalancer": lb} | ({"address": "10.0.9.9"} if lb == "kube-vip" else {})
    lb_hosts = 2 if lb in ("kubexm-kh", "kubexm-kn") else 0
    c = cluster(
        masters, lb_hosts, kubernetes={"type": k8s}, etcd={"type": etcd}, controlPlaneEndpoint=cpe
    )
    row = matrix_row(k8s, etcd, c.lb_kind, masters)
    assert (run(c).problems == []) == (row is not None)
