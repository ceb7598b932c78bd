from __future__ import annotations

import base64

import pytest
from pkitest_helpers import make_plan

from kubexm.errors import PKIError
from kubexm.pki.kubeconfig import (
    KubeconfigSpec,
    host_path,
    kubeconfig_specs,
    parse_kubeconfig,
    render_kubeconfig,
)

SPEC = KubeconfigSpec("admin.conf", "clients/admin", "kubernetes-admin", "https://lb:6443")


def test_specs_point_each_consumer_at_its_endpoint() -> None:
    specs = {spec.name: spec for spec in kubeconfig_specs(make_plan())}
    assert set(specs) == {
        "admin.conf",
        "super-admin.conf",
        "controller-manager.conf",
        "scheduler.conf",
        "kubelet-m1.conf",
        "kube-proxy-m1.conf",
        "kubelet-w1.conf",
        "kube-proxy-w1.conf",
    }
    assert specs["admin.conf"].server == "https://lb.kubexm.local:6443"
    assert specs["super-admin.conf"].server == "https://lb.kubexm.local:6443"
    assert specs["controller-manager.conf"].server == "https://127.0.0.1:6443"
    assert specs["scheduler.conf"].server == "https://127.0.0.1:6443"
    # m1 has no endpoint of its own, w1 reaches the apiserver through a local balancer.
    assert specs["kubelet-m1.conf"].server == "https://lb.kubexm.local:6443"
    assert specs["kubelet-w1.conf"].server == "https://127.0.0.1:6443"
    assert specs["kube-proxy-w1.conf"].server == "https://127.0.0.1:6443"


def test_specs_name_the_users_kubernetes_authorizes() -> None:
    specs = {spec.name: spec for spec in kubeconfig_specs(make_plan())}
    assert specs["kubelet-w1.conf"].user == "system:node:w1"
    assert specs["kubelet-w1.conf"].leaf == "kubelet/w1-client"
    assert specs["kube-proxy-w1.conf"].leaf == "clients/kube-proxy"
    assert specs["controller-manager.conf"].user == "system:kube-controller-manager"


def test_specs_without_nodes_have_no_node_kubeconfigs() -> None:
    names = [spec.name for spec in kubeconfig_specs(make_plan(nodes=()))]
    assert names == ["admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf"]


def test_specs_follow_a_custom_local_apiserver() -> None:
    plan = make_plan(local_apiserver="https://[::1]:6443")
    specs = {spec.name: spec for spec in kubeconfig_specs(plan)}
    assert specs["scheduler.conf"].server == "https://[::1]:6443"


def test_render_then_parse_round_trips() -> None:
    data = render_kubeconfig(SPEC, "prod", b"CA", b"CERT", b"KEY")
    parsed = parse_kubeconfig(data, "admin.conf")
    assert (parsed.server, parsed.ca_pem, parsed.cert_pem, parsed.key_pem) == (
        "https://lb:6443",
        b"CA",
        b"CERT",
        b"KEY",
    )
    text = data.decode()
    assert "current-context: kubernetes-admin@prod" in text
    assert base64.b64encode(b"CERT").decode() in text


def test_render_is_deterministic() -> None:
    first = render_kubeconfig(SPEC, "prod", b"CA" * 900, b"CERT", b"KEY")
    assert first == render_kubeconfig(SPEC, "prod", b"CA" * 900, b"CERT", b"KEY")
    # Long base64 values stay on one line (kubectl accepts folded ones, people grep them).
    assert max(len(line) for line in first.decode().splitlines()) > 2000


def test_parse_reports_file_references_as_missing_credentials() -> None:
    data = b"""
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: 'https://x:6443', certificate-authority-data: Q0E=}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
users: [{name: u, user: {client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem}}]
"""
    parsed = parse_kubeconfig(data, "kubelet.conf")
    assert (parsed.ca_pem, parsed.cert_pem, parsed.key_pem) == (b"CA", None, None)


@pytest.mark.parametrize(
    "data",
    [
        b"::: not yaml :::\n\t-",
        b"apiVersion: v1\n",
        b"- a\n- b\n",
        b"current-context: x\ncontexts: []\n",
    ],
    ids=["not-yaml", "no-contexts", "a-list", "unknown-context"],
)
def test_parse_rejects_non_kubeconfigs(data: bytes) -> None:
    with pytest.raises(PKIError, match=r"admin\.conf is not a kubeconfig"):
        parse_kubeconfig(data, "admin.conf")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("admin.conf", "/etc/kubernetes/admin.conf"),
        ("super-admin.conf", "/etc/kubernetes/super-admin.conf"),
        ("scheduler.conf", "/etc/kubernetes/scheduler.conf"),
        ("kubelet-w1.conf", "/etc/kubernetes/kubelet.conf"),
        ("kube-proxy-w1.conf", "/etc/kubernetes/kube-proxy.conf"),
    ],
    ids=str,
)
def test_host_path_maps_local_kubeconfigs(name: str, expected: str) -> None:
    assert host_path(name) == expected
