"""KubeletConfiguration, KubeProxyConfiguration and the kubelet's own flags."""

from __future__ import annotations

import pytest
from kube_step_helpers import cluster

from kubexm.errors import ConfigError
from kubexm.step.kubernetes.configs import (
    CONTROL_PLANE_TAINT,
    cluster_dns,
    cri_socket,
    is_master,
    kube_proxy_configuration,
    kubelet_args,
    kubelet_configuration,
    kubelet_may_set,
    node_labels,
    node_taints,
    role_labels,
)


def test_kubelet_configuration_best_practices() -> None:
    c = cluster()
    doc = kubelet_configuration(c, c.host("w1"))
    assert doc["kind"] == "KubeletConfiguration"
    assert doc["apiVersion"] == "kubelet.config.k8s.io/v1beta1"
    assert doc["clusterDNS"] == ["169.254.25.10"]
    assert doc["cgroupDriver"] == "systemd"
    assert doc["rotateCertificates"] is True
    assert doc["serverTLSBootstrap"] is False
    assert doc["readOnlyPort"] == 0
    assert doc["authentication"]["anonymous"] == {"enabled": False}
    assert doc["authorization"]["mode"] == "Webhook"
    assert doc["containerRuntimeEndpoint"] == "unix:///run/containerd/containerd.sock"
    assert doc["tlsCertFile"] == "/var/lib/kubelet/pki/kubelet.crt"
    assert doc["evictionHard"] == {"memory.available": "5%", "pid.available": "10%"}
    assert doc["registerWithTaints"] == [
        {"key": "dedicated", "effect": "NoSchedule", "value": "db"}
    ]


def test_cluster_dns_is_the_dns_service_without_nodelocal_dns() -> None:
    c = cluster(extra="  dns: {nodelocaldns: {enabled: false}}\n")
    assert cluster_dns(c) == "10.96.0.10"
    assert kubelet_configuration(c, c.host("m1"))["clusterDNS"] == ["10.96.0.10"]


def test_kubeadm_mode_lets_the_kubelet_make_its_serving_cert() -> None:
    c = cluster("type: kubeadm")
    doc = kubelet_configuration(c, c.host("m1"))
    assert "tlsCertFile" not in doc


def test_configuration_passthrough_wins() -> None:
    c = cluster("kubelet: {configuration: {serverTLSBootstrap: true, maxPods: 50}}")
    doc = kubelet_configuration(c, c.host("m1"))
    assert doc["serverTLSBootstrap"] is True
    assert doc["maxPods"] == 50


def test_soft_eviction_only_when_configured() -> None:
    c = cluster(
        "kubelet: {evictionSoft: {memory.available: 10%},"
        " evictionSoftGracePeriod: {memory.available: 2m}}"
    )
    doc = kubelet_configuration(c, c.host("m1"))
    assert doc["evictionSoftGracePeriod"] == {"memory.available": "2m"}
    assert "evictionSoft" not in kubelet_configuration(cluster(), c.host("m1"))


def test_removed_kubelet_gate_is_a_config_error() -> None:
    c = cluster("kubelet: {featureGates: {DynamicKubeletConfig: true}}")
    with pytest.raises(ConfigError):
        kubelet_configuration(c, c.host("m1"))


def test_masters_that_are_not_workers_get_the_control_plane_taint() -> None:
    c = cluster()
    assert node_taints(c, c.host("m1")) == [CONTROL_PLANE_TAINT]
    assert node_taints(c, c.host("m2")) == []
    assert is_master(c, c.host("m2")) and not is_master(c, c.host("w1"))


def test_labels_split_between_kubelet_and_api() -> None:
    c = cluster()
    assert role_labels(c, c.host("m2")) == {
        "node-role.kubernetes.io/control-plane": "",
        "node-role.kubernetes.io/worker": "",
    }
    assert node_labels(c, c.host("w1"))["disk"] == "ssd"
    args = kubelet_args(c, c.host("w1"))
    assert args == {
        "hostname-override": "w1",
        "node-ip": "10.0.0.21",
        "node-labels": "disk=ssd,topology.kubernetes.io/zone=z1",
    }


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        ("disk", True),
        ("example.com/x", True),
        ("node-role.kubernetes.io/worker", False),
        ("node.kubernetes.io/instance-type", True),
        ("kubelet.kubernetes.io/x", True),
        ("topology.kubernetes.io/zone", True),
        ("foo.k8s.io/bar", False),
        ("kubernetes.io/hostname", True),
    ],
)
def test_kubelet_may_set(key: str, allowed: bool) -> None:
    assert kubelet_may_set(key) is allowed


def test_kubelet_extra_args_are_flags_and_checked() -> None:
    c = cluster("kubelet: {extraArgs: {v: 2}}")
    assert kubelet_args(c, c.host("m1"))["v"] == "2"
    bad = cluster("kubelet: {extraArgs: {container-runtime: remote}}")
    with pytest.raises(ConfigError):
        kubelet_args(bad, bad.host("m1"))


def test_kube_proxy_configuration() -> None:
    c = cluster("kubeProxy: {mode: iptables, masqueradeAll: true, featureGates: {G: true}}")
    doc = kube_proxy_configuration(c, c.host("w1"))
    assert doc["mode"] == "iptables"
    assert doc["iptables"]["masqueradeAll"] is True
    assert doc["clusterCIDR"] == "10.244.0.0/16"
    assert doc["clientConnection"]["kubeconfig"] == "/etc/kubernetes/kube-proxy.conf"
    assert doc["hostnameOverride"] == "w1"
    assert doc["featureGates"] == {"G": True}
    kubeadm = kube_proxy_configuration(cluster("type: kubeadm"))
    assert kubeadm["mode"] == "ipvs"
    assert kubeadm["clientConnection"]["kubeconfig"] == "/var/lib/kube-proxy/kubeconfig.conf"
    assert "hostnameOverride" not in kubeadm


def test_kube_proxy_passthrough() -> None:
    c = cluster("kubeProxy: {configuration: {ipvs: {excludeCIDRs: [10.0.0.100/32]}}}")
    doc = kube_proxy_configuration(c)
    assert doc["ipvs"]["excludeCIDRs"] == ["10.0.0.100/32"]
    assert doc["ipvs"]["scheduler"] == "rr"


@pytest.mark.parametrize(
    ("runtime", "socket"),
    [
        ("{type: containerd}", "unix:///run/containerd/containerd.sock"),
        ("{type: docker}", "unix:///var/run/cri-dockerd.sock"),
        ("{type: cri-o}", "unix:///var/run/crio/crio.sock"),
        ("{type: isula}", "unix:///var/run/isulad.sock"),
    ],
)
def test_cri_socket_per_runtime(runtime: str, socket: str) -> None:
    assert cri_socket(cluster(f"containerRuntime: {runtime}")) == socket
