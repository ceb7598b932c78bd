"""The adapted calico manifest: goldens per Kubernetes minor and per variant, schema, errors."""

from __future__ import annotations

import json

import pytest
from cluster_step_helpers import STANDINS, cluster, golden
from k8s_validate import manifest_problems

from kubexm.apis.v1alpha1.network import CalicoNetwork
from kubexm.common.versions import DEFAULT_KUBERNETES_MINOR, SUPPORTED_KUBERNETES_MINORS
from kubexm.errors import ArtifactError, PlanError
from kubexm.step.cni.calico import backend, node_env, render_calico
from kubexm.step.cni.manifest import find_object, parse_manifest
from kubexm.task.cni import image_map

TEXT = (STANDINS / "calico.yaml").read_text(encoding="utf-8")
MINOR_PATCH = {"1.36": "v1.36.4", "1.35": "v1.35.8", "1.34": "v1.34.11"}


def net(extra: str = "", *, version: str = "") -> tuple[CalicoNetwork, dict[str, str]]:
    c = cluster(extra, version=version)
    assert isinstance(c.spec.network, CalicoNetwork)
    return c.spec.network, image_map(c, "cni:calico")


@pytest.mark.parametrize("minor", SUPPORTED_KUBERNETES_MINORS)
def test_default_calico_matches_golden_per_minor(minor: str) -> None:
    network, images = net(version=MINOR_PATCH[minor])

    text = render_calico(TEXT, network, images, "calico.yaml")

    golden("cni", f"calico-{minor}.yaml", text)
    assert manifest_problems(text, minor) == []


def test_vxlan_dual_stack_with_mtu_matches_golden() -> None:
    extra = (
        "  network:\n"
        "    kubePodsCIDR: 10.244.0.0/16,fd00:10:244::/56\n"
        "    kubeServiceCIDR: 10.96.0.0/12,fd00:10:96::/112\n"
        "    calico: {networking: {ipipMode: Never, vxlanMode: Always, vethMTU: 1400}}\n"
    )
    network, images = net(extra)

    text = render_calico(TEXT, network, images, "calico.yaml")

    golden("cni", "calico-vxlan-dualstack.yaml", text)
    docs = parse_manifest(text, "out")
    assert manifest_problems(text, DEFAULT_KUBERNETES_MINOR) == []
    data = find_object(docs, "ConfigMap", "calico-config", "out")["data"]
    assert (data["veth_mtu"], data["calico_backend"]) == ("1400", "vxlan")
    cni = json.loads(data["cni_network_config"].replace("__CNI_MTU__", "0"))
    assert cni["plugins"][0]["ipam"]["assign_ipv6"] == "true"
    assert "-bird-live" not in text and "-bird-ready" not in text


def test_private_registry_rewrites_every_image() -> None:
    network, images = net("  registry: {mirroring: {privateRegistry: reg.local:5000}}\n")

    text = render_calico(TEXT, network, images, "calico.yaml")

    assert text.count("image: reg.local:5000/calico/") == 3
    assert "quay.io" not in text


@pytest.mark.parametrize(
    ("modes", "expected"),
    [
        ("{ipipMode: Always, vxlanMode: Never}", "bird"),
        ("{ipipMode: Never, vxlanMode: Always}", "vxlan"),
        ("{ipipMode: Never, vxlanMode: CrossSubnet, bgp: {enabled: true}}", "bird"),
    ],
    ids=["ipip", "vxlan", "vxlan-with-bgp"],
)
def test_backend_follows_the_encapsulation(modes: str, expected: str) -> None:
    network, _ = net(f"  network: {{calico: {{networking: {modes}}}}}\n")

    assert backend(network) == expected


def test_ipv6_only_disables_ipv4_autodetection() -> None:
    network, _ = net(
        "  network: {kubePodsCIDR: 'fd00:10:244::/56', kubeServiceCIDR: 'fd00:10:96::/112'}\n"
    )

    env = node_env(network)

    assert (env["IP"], env["IP6"], env["FELIX_IPV6SUPPORT"]) == ("none", "autodetect", "true")
    assert "CALICO_IPV4POOL_CIDR" not in env


def test_explicit_pools_are_refused_not_ignored() -> None:
    network, images = net("  network: {calico: {ipam: {pools: [{cidr: 10.244.0.0/16}]}}}\n")

    with pytest.raises(PlanError, match="pools"):
        render_calico(TEXT, network, images, "calico.yaml")


def test_a_manifest_without_calico_node_is_an_artifact_error() -> None:
    network, images = net()
    text = TEXT.replace(
        "name: calico-node\n  namespace: kube-system\n  annotations",
        "name: x\n  namespace: kube-system\n  annotations",
    )

    with pytest.raises(ArtifactError, match="DaemonSet 'calico-node'"):
        render_calico(text, network, images, "calico.yaml")


def test_a_broken_cni_config_is_an_artifact_error() -> None:
    network, images = net()

    with pytest.raises(ArtifactError, match="cni_network_config"):
        render_calico(TEXT.replace('"plugins": [', '"plugins": [[', 1), network, images, "c")
