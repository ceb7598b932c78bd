from __future__ import annotations

from datetime import timedelta

import pytest
from pkitest_helpers import make_plan

from kubexm.errors import PKIError
from kubexm.pki.model import Member, PKIPlan, endpoint_url


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("lb.kubexm.local", 6443, "https://lb.kubexm.local:6443"),
        ("10.0.0.5", 8443, "https://10.0.0.5:8443"),
        ("fd00::5", 6443, "https://[fd00::5]:6443"),
    ],
    ids=["domain", "ipv4", "ipv6-bracketed"],
)
def test_endpoint_url_formats_host_and_port(host: str, port: int, url: str) -> None:
    assert endpoint_url(host, port) == url


def test_control_plane_url_uses_domain_and_port() -> None:
    plan = make_plan(endpoint_domain="api.internal", endpoint_port=7443)
    assert plan.control_plane_url == "https://api.internal:7443"


def test_node_url_defaults_to_control_plane_and_honours_member_endpoint() -> None:
    plan = make_plan()
    assert plan.node_url(Member("w9")) == "https://lb.kubexm.local:6443"
    local = Member("w9", endpoint="https://127.0.0.1:6443")
    assert plan.node_url(local) == "https://127.0.0.1:6443"


def test_first_service_ips_covers_every_family() -> None:
    plan = make_plan(service_cidrs=["10.233.0.0/18", "fd00:96::/108"])
    assert plan.first_service_ips() == ["10.233.0.1", "fd00:96::1"]


def test_lists_are_stored_as_tuples_so_the_plan_is_hashable() -> None:
    # Callers building a plan from parsed config often hold lists; they are accepted.
    loose = Member("m1", ["10.0.0.1"])  # type: ignore[arg-type]  # lists are coerced on purpose
    plan = make_plan(masters=[loose], cert_extra_sans=["x.example"])
    assert plan.masters == (Member("m1", ("10.0.0.1",)),)
    assert plan.cert_extra_sans == ("x.example",)
    assert hash(plan) == hash(
        make_plan(masters=(Member("m1", ("10.0.0.1",)),), cert_extra_sans=("x.example",))
    )


def test_defaults_follow_the_architecture() -> None:
    plan = PKIPlan("c", masters=(Member("m1"),))
    assert plan.key_type == "rsa"
    assert plan.ca_validity == timedelta(days=3650)
    assert plan.leaf_validity == timedelta(days=365)
    assert plan.renew_before == timedelta(days=30)
    assert plan.service_cidrs == ("10.96.0.0/12",)
    assert plan.admin_group == "kubeadm:cluster-admins"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"cluster_name": " "}, "cluster name is empty"),
        ({"masters": ()}, "no control-plane host"),
        ({"masters": (Member("../m1"),)}, "cannot name a certificate file"),
        ({"etcd": (Member("e1"), Member("e1"))}, "listed twice"),
        ({"nodes": (Member("w1", endpoint="http://x:6443"),)}, "not an https URL"),
        ({"service_cidrs": ()}, "no service CIDR"),
        ({"service_cidrs": ("10.96.0.1/12",)}, "host bits set"),
        ({"service_cidrs": ("10.96.0.0/12", "10.97.0.0/16")}, "repeat an IP family"),
        ({"key_type": "dsa"}, "key type 'dsa' is unknown"),
        ({"endpoint_port": 0}, "out of range"),
        ({"leaf_validity": timedelta(0)}, "validity is not positive"),
        ({"renew_before": timedelta(days=-1)}, "renew threshold is negative"),
        ({"local_apiserver": "127.0.0.1:6443"}, "not an https URL"),
        ({"cert_extra_sans": ("bücher.example",)}, "cannot go into a certificate"),
        ({"endpoint_domain": "lb local"}, "cannot go into a certificate"),
    ],
    ids=[
        "empty-cluster-name",
        "no-masters",
        "path-in-name",
        "duplicate-etcd",
        "http-endpoint",
        "no-service-cidr",
        "cidr-host-bits",
        "two-ipv4-cidrs",
        "unknown-key-type",
        "port-zero",
        "zero-validity",
        "negative-renew",
        "local-apiserver-not-url",
        "non-ascii-extra-san",
        "space-in-domain",
    ],
)
def test_invalid_plan_raises_pki_error_with_hint(
    overrides: dict[str, object], fragment: str
) -> None:
    with pytest.raises(PKIError) as err:
        make_plan(**overrides)
    assert fragment in err.value.message
    assert err.value.hint
