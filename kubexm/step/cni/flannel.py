"""Adapt the upstream ``kube-flannel.yml`` to the cluster: network(s), backend, images.

flannel reads everything kubexm sets from ``net-conf.json`` in the ``kube-flannel-cfg``
ConfigMap; the JSON is parsed and rewritten, never patched as text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kubexm.apis.v1alpha1.network import FlannelNetwork
from kubexm.errors import ArtifactError
from kubexm.step.cni.manifest import dump_manifest, find_object, parse_manifest, rewrite_images
from kubexm.util.cidr import split_dual_stack
from kubexm.util.yamlio import literal_block

CONFIG_MAP = "kube-flannel-cfg"
NET_CONF = "net-conf.json"


def backend_conf(net: FlannelNetwork) -> dict[str, Any]:
    """The ``Backend`` object of net-conf.json for ``net.flannel.backend``."""
    backend = net.flannel.backend
    conf: dict[str, Any] = {"Type": backend.type}
    if backend.type == "vxlan" and backend.vxlan is not None:
        conf |= {
            "VNI": backend.vxlan.vni,
            "Port": backend.vxlan.port,
            "DirectRouting": backend.vxlan.direct_routing,
        }
    if backend.type == "ipsec" and backend.ipsec:
        conf |= {"PSK": backend.ipsec.get("pskSecretName", "")}
    return conf


def net_conf(current: Mapping[str, Any], net: FlannelNetwork) -> dict[str, Any]:
    """``current`` net-conf.json with the cluster's pod network(s) and backend."""
    v4, v6 = split_dual_stack(net.kube_pods_cidr)
    conf: dict[str, Any] = {}
    if v4:
        conf["Network"] = str(v4)
    if v6:
        conf["IPv6Network"] = str(v6)
    conf |= {"EnableIPv4": v4 is not None, "EnableIPv6": v6 is not None}
    kept = ("Network", "IPv6Network", "EnableIPv4", "EnableIPv6", "Backend")
    conf |= {k: v for k, v in current.items() if k not in kept}
    conf["Backend"] = backend_conf(net)
    return conf


def render_flannel(text: str, net: FlannelNetwork, images: Mapping[str, str], source: str) -> str:
    """The manifest ``text`` adapted to ``net``; ArtifactError when the ConfigMap is missing
    or its net-conf.json does not parse."""
    docs = parse_manifest(text, source)
    data = find_object(docs, "ConfigMap", CONFIG_MAP, source)["data"]
    try:
        current = json.loads(str(data[NET_CONF]))
    except (KeyError, json.JSONDecodeError) as exc:
        raise ArtifactError(
            f"{source}: {CONFIG_MAP} has no readable {NET_CONF}", "use the manifest of the BOM"
        ) from exc
    data[NET_CONF] = literal_block(json.dumps(net_conf(current, net), indent=2) + "\n")
    rewrite_images(docs, images, source)
    return dump_manifest(docs)
