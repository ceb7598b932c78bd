"""Helm values for the Cilium chart of the BOM, from the cluster's network settings.

kube-proxy replacement is on only when the cluster runs without kube-proxy
(``kubernetes.kubeProxy.enable: false``): with kube-proxy running, both would program the
same services. ``k8sServiceHost`` is the control-plane domain, which every node resolves
(ARCHITECTURE §6), so the agent reaches the API server before any Service works.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.network import CiliumNetwork
from kubexm.errors import PlanError
from kubexm.util.cidr import split_dual_stack
from kubexm.util.merge import deep_merge

# The chart appends this suffix to ``operator.image.repository``.
_OPERATOR_SUFFIX = "-generic"


def split_ref(ref: str) -> tuple[str, str]:
    """``registry/path:tag`` -> (``registry/path``, ``tag``); a port is not a tag."""
    repo, _, tag = ref.rpartition(":")
    if not repo or "/" in tag:
        return ref, ""
    return repo, tag


def _image(ref: str, suffix: str = "") -> dict[str, Any]:
    repo, tag = split_ref(ref)
    return {"repository": repo.removesuffix(suffix), "tag": tag, "useDigest": False}


def image_values(images: Mapping[str, str]) -> dict[str, Any]:
    """Chart image overrides from the image map (``image_key`` -> reference)."""
    values: dict[str, Any] = {
        "image": _image(images["cilium"]),
        "operator": {
            "image": {
                **_image(images["operator-generic"], _OPERATOR_SUFFIX),
                "suffix": _OPERATOR_SUFFIX,
            }
        },
        "envoy": {"image": _image(images["cilium-envoy"])},
    }
    hubble: dict[str, Any] = {}
    if "hubble-relay" in images:
        hubble["relay"] = {"image": _image(images["hubble-relay"])}
    if "hubble-ui" in images:
        hubble["ui"] = {
            "frontend": {"image": _image(images["hubble-ui"])},
            "backend": {"image": _image(images["hubble-ui-backend"])},
        }
    if "certgen" in images:
        values["certgen"] = {"image": _image(images["certgen"])}
    return values | ({"hubble": hubble} if hubble else {})


def _ipam(cluster: Cluster, net: CiliumNetwork) -> dict[str, Any]:
    v4, v6 = split_dual_stack(net.kube_pods_cidr)
    mode = net.cilium.network.ipam_mode
    ipam: dict[str, Any] = {"mode": mode}
    if mode == "cluster-pool":
        masks = cluster.spec.kubernetes.controller_manager
        operator: dict[str, Any] = {}
        if v4:
            operator["clusterPoolIPv4PodCIDRList"] = [str(v4)]
            operator["clusterPoolIPv4MaskSize"] = masks.node_cidr_mask_size
        if v6:
            operator["clusterPoolIPv6PodCIDRList"] = [str(v6)]
            operator["clusterPoolIPv6MaskSize"] = masks.node_cidr_mask_size_ipv6
        ipam["operator"] = operator
    return ipam


def _routing(net: CiliumNetwork) -> dict[str, Any]:
    mode = net.cilium.network.tunneling_mode
    if mode != "disabled":
        return {"routingMode": "tunnel", "tunnelProtocol": mode}
    v4, v6 = split_dual_stack(net.kube_pods_cidr)
    native: dict[str, Any] = {"routingMode": "native", "autoDirectNodeRoutes": True}
    if v4:
        native["ipv4NativeRoutingCIDR"] = str(v4)
    if v6:
        native["ipv6NativeRoutingCIDR"] = str(v6)
    return native


def kube_proxy_replacement(cluster: Cluster, net: CiliumNetwork) -> bool:
    """True only without kube-proxy and when the config does not disable the replacement."""
    if cluster.spec.kubernetes.kube_proxy.enable:
        return False
    return net.cilium.kube_proxy.replacement != "disabled"


def cilium_values(cluster: Cluster, images: Mapping[str, str]) -> dict[str, Any]:
    """The chart values for ``cluster``; PlanError when the network is not Cilium."""
    net = cluster.spec.network
    if not isinstance(net, CiliumNetwork):
        raise PlanError("cilium values asked for a cluster without Cilium", "a kubexm bug")
    cilium = net.cilium
    v4, v6 = split_dual_stack(net.kube_pods_cidr)
    replace = kube_proxy_replacement(cluster, net)
    cpe = cluster.spec.control_plane_endpoint
    values: dict[str, Any] = {
        "k8sServiceHost": cpe.domain,
        "k8sServicePort": cpe.port,
        "kubeProxyReplacement": replace,
        "ipv4": {"enabled": v4 is not None},
        "ipv6": {"enabled": v6 is not None},
        "ipam": _ipam(cluster, net),
        **_routing(net),
        "bpf": {"masquerade": replace and cilium.kube_proxy.enable_bpf_masquerade},
        "identityAllocationMode": cilium.security.identity_allocation_mode,
        "encryption": {"enabled": cilium.security.enable_encryption},
        "bandwidthManager": {"enabled": cilium.performance.enable_bandwidth_manager},
        "bgpControlPlane": {"enabled": cilium.network.enable_bgp_control_plane},
        "hubble": {
            "enabled": cilium.hubble.enable,
            "relay": {"enabled": cilium.hubble.enable},
            "ui": {"enabled": cilium.hubble.enable and cilium.hubble.enable_ui},
        },
    }
    merged: dict[str, Any] = deep_merge(values, image_values(images))
    return merged
