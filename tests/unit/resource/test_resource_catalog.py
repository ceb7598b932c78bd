"""Image and chart needs per config area."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubexm.config import validate_data
from kubexm.resource import catalog
from kubexm.resource.scope import Scope

DATA: dict[str, Any] = {
    "apiVersion": "kubexm.io/v1alpha1",
    "kind": "Cluster",
    "metadata": {"name": "c"},
    "spec": {
        "global": {"privateKeyPath": "/k"},
        "hosts": [
            {"name": "m1", "address": "10.0.0.1"},
            {"name": "m2", "address": "10.0.0.2"},
            {"name": "w1", "address": "10.0.0.3", "arch": "arm64"},
        ],
        "roleGroups": {"master": ["m1", "m2"], "etcd": ["m1"], "worker": ["w1"]},
        "kubernetes": {"version": "v1.36.4"},
    },
}


def _scope(**spec: Any) -> Scope:
    data = copy.deepcopy(DATA)
    data["spec"].update(spec)
    return Scope.build(validate_data(data).cluster, "", None)


def _refs(needs: list[catalog.Need]) -> dict[str, tuple[str, ...]]:
    return {need.ref: need.arches for need in needs}


def test_control_plane_images_in_kubeadm_mode() -> None:
    refs = _refs(catalog.control_plane_images(_scope()))

    assert refs == {
        "registry.k8s.io/kube-apiserver:v1.36.4": ("amd64",),
        "registry.k8s.io/kube-controller-manager:v1.36.4": ("amd64",),
        "registry.k8s.io/kube-scheduler:v1.36.4": ("amd64",),
        "registry.k8s.io/kube-proxy:v1.36.4": ("amd64", "arm64"),
    }


def test_control_plane_images_skip_kube_proxy_when_disabled_and_all_in_binary_mode() -> None:
    no_proxy = _scope(
        kubernetes={"version": "v1.36.4", "kubeProxy": {"enable": False}},
        network={"plugin": "cilium"},
    )
    assert "kube-proxy" not in str(catalog.control_plane_images(no_proxy))
    binary = _scope(kubernetes={"type": "kubexm", "version": "v1.36.4"})
    assert catalog.control_plane_images(binary) == []


def test_node_images_follow_nodelocaldns_switch_and_pause_override() -> None:
    default = _refs(catalog.node_images(_scope()))
    assert set(default) == {
        "registry.k8s.io/pause:3.10.2",
        "registry.k8s.io/coredns/coredns:v1.14.2",
        "registry.k8s.io/dns/k8s-dns-node-cache:1.25.0",
    }
    custom = _scope(
        dns={"nodelocaldns": {"enabled": False}},
        kubernetes={
            "version": "v1.36.4",
            "containerRuntime": {"containerd": {"pause": "reg.local/pause:3.10"}},
        },
    )
    assert set(_refs(catalog.node_images(custom))) == {
        "reg.local/pause:3.10",
        "registry.k8s.io/coredns/coredns:v1.14.2",
    }


@pytest.mark.parametrize(
    ("etcd", "expected"),
    [
        ({"type": "kubeadm"}, ["quay.io/coreos/etcd:v3.6.14"]),
        ({"type": "kubeadm", "version": "3.6.2"}, ["quay.io/coreos/etcd:v3.6.2"]),
        ({"type": "kubexm"}, []),
    ],
    ids=["kubeadm-default", "kubeadm-override", "binary-etcd"],
)
def test_etcd_images(etcd: dict[str, str], expected: list[str]) -> None:
    assert [n.ref for n in catalog.etcd_images(_scope(etcd=etcd))] == expected


@pytest.mark.parametrize(
    ("endpoint", "kube_type", "expected"),
    [
        (
            {"internalLoadbalancer": "haproxy"},
            "kubeadm",
            {"docker.io/library/haproxy:3.2.19-alpine": ("arm64",)},
        ),
        (
            {"internalLoadbalancer": "nginx"},
            "kubeadm",
            {"docker.io/library/nginx:1.30.1-alpine": ("arm64",)},
        ),
        ({"internalLoadbalancer": "nginx"}, "kubexm", {}),
        (
            {"internalLoadbalancer": "kube-vip", "address": "10.0.0.100"},
            "kubeadm",
            {"ghcr.io/kube-vip/kube-vip:v1.0.3": ("amd64",)},
        ),
    ],
    ids=[
        "haproxy-static-pod",
        "nginx-static-pod",
        "nginx-systemd-binary-mode",
        "kube-vip-on-masters",
    ],
)
def test_load_balancer_images(
    endpoint: dict[str, str], kube_type: str, expected: dict[str, tuple[str, ...]]
) -> None:
    scope = _scope(
        controlPlaneEndpoint=endpoint,
        kubernetes={"type": kube_type, "version": "v1.36.4"},
    )
    assert _refs(catalog.load_balancer_images(scope)) == expected


def test_calico_images_without_typha() -> None:
    scope = _scope(network={"plugin": "calico", "calico": {"typha": {"enabled": False}}})

    refs = [n.ref for n in catalog.cni_images(scope)]

    assert refs == [
        "quay.io/calico/node:v3.31.7",
        "quay.io/calico/cni:v3.31.7",
        "quay.io/calico/kube-controllers:v3.31.7",
    ]


def test_cilium_without_hubble_and_flannel_images() -> None:
    cilium = [n.ref.split(":")[0] for n in catalog.cni_images(_scope(network={"plugin": "cilium"}))]
    assert cilium == [
        "quay.io/cilium/cilium",
        "quay.io/cilium/operator-generic",
        "quay.io/cilium/cilium-envoy",
    ]
    flannel = [n.ref for n in catalog.cni_images(_scope(network={"plugin": "flannel"}))]
    assert flannel == [
        "docker.io/flannel/flannel:v0.28.4",
        "docker.io/flannel/flannel-cni-plugin:v1.7.1-flannel1",
    ]
    assert catalog.cni_images(_scope(network={"plugin": "hybridnet"})) == []


def test_image_needs_collects_every_area() -> None:
    purposes = {n.purpose for n in catalog.image_needs(_scope())}

    assert purposes == {
        "control-plane", "kube-proxy", "pause", "dns:coredns", "dns:nodelocaldns",
        "cni:calico", "lb:haproxy",
    }  # fmt: skip


def test_bom_chart_reads_version_from_bom() -> None:
    chart = catalog.bom_chart("cilium", "cni:cilium")

    assert (chart.name, chart.version, chart.repo) == ("cilium", "1.20.1", "https://helm.cilium.io")


def test_chart_needs_storage_and_addons() -> None:
    addons = [
        {
            "name": "metrics",
            "enabled": True,
            "sources": [
                {
                    "chart": {
                        "name": "metrics-server",
                        "repo": "https://m.example",
                        "version": "3.12.2",
                    }
                }
            ],
        },
        {
            "name": "floating",
            "enabled": True,
            "sources": [{"chart": {"name": "thing", "repo": "https://t.example"}}],
        },
        {
            "name": "off",
            "enabled": False,
            "sources": [{"chart": {"name": "x", "repo": "https://x.example", "version": "1"}}],
        },
        {"name": "local", "enabled": True, "sources": [{"chart": {"path": "/charts/local.tgz"}}]},
    ]
    scope = _scope(
        storage={
            "openebs": {"enabled": True},
            "nfs": {"enabled": True, "server": "10.0.0.5", "path": "/nfs"},
        },
        addons=addons,
    )

    charts, notes = catalog.chart_needs(scope)

    assert [(c.name, c.purpose) for c in charts] == [
        ("localpv-provisioner", "storage:openebs"),
        ("nfs-subdir-external-provisioner", "storage:nfs"),
        ("metrics-server", "addon:metrics"),
    ]
    assert len(notes) == 1
    assert "floating" in notes[0]
    assert "version" in notes[0]
