import base64
from typing import Any

import pytest

from kubexm.apis.v1alpha1 import Cluster
from kubexm.config.rules_common import Findings
from kubexm.config.rules_sections import check


def cluster(**spec: Any) -> Cluster:
    body: dict[str, Any] = {
        "hosts": [{"name": "n1", "address": "10.0.0.1"}],
        "roleGroups": {"master": ["n1"], "etcd": ["n1"], "worker": ["n1"]},
        "global": {"password": "p"},
    }
    body.update(spec)
    return Cluster.model_validate({"metadata": {"name": "s"}, "spec": body})


def paths(c: Cluster) -> list[str]:
    found = Findings()
    check(c, found)
    return [p.path for p in found.problems]


def test_defaults_pass_every_section_rule() -> None:
    assert paths(cluster()) == []


def test_dual_stack_pods_and_services_pass() -> None:
    network = {
        "kubePodsCIDR": "10.244.0.0/16,fd00:10:244::/56",
        "kubeServiceCIDR": "10.96.0.0/12,fd00:10:96::/112",
    }
    assert paths(cluster(network=network)) == []


def test_a_good_registry_auth_passes() -> None:
    auth = base64.b64encode(b"admin:pw").decode()
    assert paths(cluster(registry={"auths": {"harbor.local": {"auth": auth}}})) == []


def test_a_registry_entry_with_connection_settings_only_passes() -> None:
    auths = {"reg.local:5000": {"plainHTTP": True}, "harbor.local": {"skipTLSVerify": True}}
    assert paths(cluster(registry={"auths": auths})) == []


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param({"username": "u"}, id="user-without-password"),
        pytest.param({"password": "p"}, id="password-without-user"),
        pytest.param(
            {"username": "u", "password": "p", "auth": base64.b64encode(b"u:p").decode()},
            id="pair-and-auth",
        ),
    ],
)
def test_a_registry_entry_with_half_or_double_credentials_fails(entry: dict[str, Any]) -> None:
    assert paths(cluster(registry={"auths": {"r.local": entry}})) == ["spec.registry.auths.r.local"]


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        pytest.param(
            {"system": {"packageManager": "apt", "rpms": ["a"]}}, "spec.system.rpms", id="rpms-apt"
        ),
        pytest.param(
            {"system": {"packageManager": "dnf", "debs": ["a"]}}, "spec.system.debs", id="debs-dnf"
        ),
        pytest.param(
            {"network": {"kubePodsCIDR": "10.96.0.0/16"}},
            "spec.network.kubeServiceCIDR",
            id="overlap",
        ),
        pytest.param(
            {"dns": {"nodelocaldns": {"ip": "10.244.0.9"}}},
            "spec.dns.nodelocaldns.ip",
            id="nodelocaldns-in-pods",
        ),
        pytest.param(
            {
                "network": {
                    "plugin": "hybridnet",
                    "hybridnet": {"defaultNetwork": {"type": "Underlay"}},
                }
            },
            "spec.network.hybridnet.defaultNetwork.defaultUnderlaySubnetName",
            id="underlay",
        ),
        pytest.param(
            {
                "network": {
                    "plugin": "flannel",
                    "flannel": {"backend": {"type": "udp", "vxlan": {}}},
                }
            },
            "spec.network.flannel.backend.vxlan",
            id="flannel-block",
        ),
        pytest.param(
            {
                "kubernetes": {
                    "containerRuntime": {
                        "containerd": {"disabledPlugins": ["io.containerd.grpc.v1.cri"]}
                    }
                }
            },
            "spec.kubernetes.containerRuntime.containerd.disabledPlugins",
            id="plugins",
        ),
        pytest.param(
            {
                "kubernetes": {
                    "containerRuntime": {
                        "containerd": {
                            "registry": {"configs": {"r.local": {"auth": {"username": "u"}}}}
                        }
                    }
                }
            },
            "spec.kubernetes.containerRuntime.containerd.registry.configs.r.local.auth",
            id="containerd-auth",
        ),
        pytest.param(
            {"registry": {"mirroring": {"namespaceRewrite": {"enabled": True}}}},
            "spec.registry.mirroring.namespaceRewrite.rules",
            id="rewrite-no-rules",
        ),
        pytest.param(
            {"registry": {"auths": {"r.local": {"auth": "bm9jb2xvbg=="}}}},
            "spec.registry.auths.r.local.auth",
            id="auth-not-pair",
        ),
        pytest.param(
            {"storage": {"openebs": {"enabled": False}, "defaultStorageClass": "x"}},
            "spec.storage.defaultStorageClass",
            id="class-without-provider",
        ),
        pytest.param(
            {"storage": {"openebs": {"engines": {"localHostpath": {"enabled": False}}}}},
            "spec.storage.openebs.engines",
            id="no-engine",
        ),
        pytest.param(
            {"storage": {"rookCeph": {"enabled": True}}}, "spec.storage.rookCeph", id="rook"
        ),
        pytest.param(
            {"addons": [{"name": "a"}, {"name": "a"}]}, "spec.addons[1].name", id="dup-addon"
        ),
        pytest.param(
            {"addons": [{"name": "a", "sources": [{}]}]},
            "spec.addons[0].sources[0]",
            id="empty-source",
        ),
        pytest.param(
            {"addons": [{"name": "a", "sources": [{"chart": {"name": "x"}}]}]},
            "spec.addons[0].sources[0].chart",
            id="chart-no-repo",
        ),
        pytest.param(
            {"addons": [{"name": "a", "sources": [{"chart": {"path": "/c", "values": ["x"]}}]}]},
            "spec.addons[0].sources[0].chart.values[0]",
            id="chart-values",
        ),
    ],
)
def test_section_problems(spec: dict[str, Any], path: str) -> None:
    assert path in paths(cluster(**spec))


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        pytest.param(
            {"system": {"ntpServers": ["pool.ntp.org", "10.0.0.1:x"]}},
            "spec.system.ntpServers[1]",
            id="ntp",
        ),
        pytest.param(
            {"kubernetes": {"kubelet": {"cgroupDriver": "cgroupfs"}}},
            "spec.kubernetes.kubelet.cgroupDriver",
            id="cgroup-containerd",
        ),
        pytest.param(
            {
                "kubernetes": {
                    "containerRuntime": {"type": "crio", "crio": {"cgroupManager": "cgroupfs"}}
                }
            },
            "spec.kubernetes.kubelet.cgroupDriver",
            id="cgroup-crio",
        ),
        pytest.param(
            {
                "kubernetes": {
                    "containerRuntime": {"type": "isula", "isulad": {"cgroupManager": "cgroupfs"}}
                }
            },
            "spec.kubernetes.kubelet.cgroupDriver",
            id="cgroup-isula",
        ),
        pytest.param(
            {
                "kubernetes": {
                    "containerRuntime": {"type": "docker", "docker": {"cgroupDriver": "cgroupfs"}}
                }
            },
            "spec.kubernetes.kubelet.cgroupDriver",
            id="cgroup-docker",
        ),
    ],
)
def test_more_section_problems(spec: dict[str, Any], path: str) -> None:
    assert path in paths(cluster(**spec))


def test_ntp_accepts_addresses_ports_and_names() -> None:
    servers = ["pool.ntp.org", "10.0.0.1", "10.0.0.1:123", "fd00::1"]
    assert paths(cluster(system={"ntpServers": servers})) == []


def test_dual_stack_cluster_warns_for_hosts_without_ipv6() -> None:
    network = {
        "kubePodsCIDR": "10.244.0.0/16,fd00:10:244::/56",
        "kubeServiceCIDR": "10.96.0.0/12,fd00:10:96::/112",
    }
    found = Findings()
    check(cluster(network=network), found)
    assert found.warnings == [
        "spec.hosts[0].internalAddress: the cluster is dual-stack but this host has no IPv6 address"
    ]


@pytest.mark.parametrize(
    ("ca", "leaf", "expected"),
    [
        pytest.param("1h", "1h", [], id="one-hour-both"),
        pytest.param("36500d", "36500d", [], id="one-century-both"),
        pytest.param("87600h", "59m", ["spec.certs.certDuration"], id="leaf-too-short"),
        pytest.param("36501d", "8760h", ["spec.certs.caDuration"], id="ca-too-long"),
        pytest.param("8760h", "8761h", ["spec.certs.certDuration"], id="leaf-outlives-ca"),
        pytest.param(
            "30m", "8760h", ["spec.certs.caDuration", "spec.certs.certDuration"], id="both"
        ),
    ],
)
def test_certificate_durations_are_bounded(ca: str, leaf: str, expected: list[str]) -> None:
    got = paths(cluster(certs={"caDuration": ca, "certDuration": leaf}))
    assert got == expected
