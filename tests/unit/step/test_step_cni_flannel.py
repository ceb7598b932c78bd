"""The adapted flannel manifest: goldens, net-conf.json per backend and stack, errors."""

from __future__ import annotations

import json

import pytest
from cluster_step_helpers import STANDINS, cluster, golden
from k8s_validate import manifest_problems

from kubexm.apis.v1alpha1.network import FlannelNetwork
from kubexm.common.versions import DEFAULT_KUBERNETES_MINOR
from kubexm.errors import ArtifactError
from kubexm.step.cni.flannel import backend_conf, net_conf, render_flannel
from kubexm.step.cni.manifest import find_object, parse_manifest
from kubexm.task.cni import image_map

TEXT = (STANDINS / "kube-flannel.yml").read_text(encoding="utf-8")


def net(network: str = "{plugin: flannel}") -> tuple[FlannelNetwork, dict[str, str]]:
    c = cluster(f"  network: {network}\n")
    assert isinstance(c.spec.network, FlannelNetwork)
    return c.spec.network, image_map(c, "cni:flannel")


def net_conf_of(text: str) -> dict[str, object]:
    docs = parse_manifest(text, "out")
    loaded: dict[str, object] = json.loads(
        find_object(docs, "ConfigMap", "kube-flannel-cfg", "out")["data"]["net-conf.json"]
    )
    return loaded


def test_default_flannel_matches_golden() -> None:
    network, images = net()

    text = render_flannel(TEXT, network, images, "kube-flannel.yml")

    golden("cni", "flannel-default.yaml", text)
    assert manifest_problems(text, DEFAULT_KUBERNETES_MINOR) == []
    assert net_conf_of(text)["Network"] == "10.244.0.0/16"


def test_host_gw_dual_stack_matches_golden() -> None:
    network, images = net(
        "{plugin: flannel, kubePodsCIDR: '10.244.0.0/16,fd00:10:244::/56',"
        " kubeServiceCIDR: '10.96.0.0/12,fd00:10:96::/112',"
        " flannel: {backend: {type: host-gw}}}"
    )

    text = render_flannel(TEXT, network, images, "kube-flannel.yml")

    golden("cni", "flannel-hostgw-dualstack.yaml", text)
    assert manifest_problems(text, DEFAULT_KUBERNETES_MINOR) == []
    conf = net_conf_of(text)
    assert conf["IPv6Network"] == "fd00:10:244::/56"
    assert conf["EnableIPv6"] is True
    assert conf["Backend"] == {"Type": "host-gw"}


def test_vxlan_settings_reach_the_backend() -> None:
    network, _ = net(
        "{plugin: flannel, flannel: {backend: {type: vxlan,"
        " vxlan: {vni: 4, port: 4789, directRouting: true}}}}"
    )

    assert backend_conf(network) == {"Type": "vxlan", "VNI": 4, "Port": 4789, "DirectRouting": True}


def test_net_conf_keeps_unknown_upstream_keys() -> None:
    network, _ = net()

    conf = net_conf({"Network": "1.0.0.0/8", "EnableNFTables": True}, network)

    assert conf["EnableNFTables"] is True
    assert conf["Network"] == "10.244.0.0/16"


def test_missing_net_conf_is_an_artifact_error() -> None:
    network, images = net()

    with pytest.raises(ArtifactError, match=r"net-conf.json"):
        render_flannel(TEXT.replace("net-conf.json", "other.json"), network, images, "f")
