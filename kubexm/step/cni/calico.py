"""Adapt the upstream ``calico.yaml`` to the cluster: pools, encapsulation, MTU, images.

Only fields the upstream manifest exposes for this purpose are changed: the ``calico-config``
ConfigMap (``veth_mtu``, ``calico_backend``, the CNI config's IPAM families) and the
``calico-node`` container's environment (``CALICO_IPV4POOL_*``, ``CALICO_IPV6POOL_*``,
``CLUSTER_TYPE``, Felix settings). The default IP pools are created by calico-node from that
environment on first start.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from kubexm.apis.v1alpha1.network import CalicoNetwork
from kubexm.common import network as defaults
from kubexm.errors import ArtifactError, PlanError
from kubexm.step.cni.manifest import (
    Doc,
    container,
    dump_manifest,
    find_object,
    parse_manifest,
    rewrite_images,
    set_env,
)
from kubexm.util.cidr import split_dual_stack
from kubexm.util.yamlio import literal_block

CONFIG_MAP = "calico-config"
DAEMONSET = "calico-node"
# A placeholder calico-node fills at install time; unquoted in the JSON, so it is quoted for
# parsing and unquoted again afterwards.
_MTU_TOKEN = "__CNI_MTU__"


def backend(net: CalicoNetwork) -> str:
    """``bird`` (BGP, needed by IPIP) unless only VXLAN is used, then ``vxlan``."""
    modes = net.calico.networking
    bgp = bool(modes.bgp.get("enabled"))
    if modes.ipip_mode == "Never" and modes.vxlan_mode != "Never" and not bgp:
        return "vxlan"
    return "bird"


def node_env(net: CalicoNetwork) -> dict[str, str]:
    """The calico-node environment kubexm sets for this network."""
    calico = net.calico
    modes = calico.networking
    v4, v6 = split_dual_stack(net.kube_pods_cidr)
    env = {
        "CLUSTER_TYPE": "k8s,bgp" if backend(net) == "bird" else "k8s",
        "FELIX_LOGSEVERITYSCREEN": calico.felix.log_severity_screen,
        "FELIX_IPV6SUPPORT": "true" if v6 else "false",
        "NO_DEFAULT_POOLS": "false" if calico.ipam.auto_create_pools else "true",
    }
    if v4:
        env |= {
            "CALICO_IPV4POOL_CIDR": str(v4),
            "CALICO_IPV4POOL_IPIP": modes.ipip_mode,
            "CALICO_IPV4POOL_VXLAN": modes.vxlan_mode,
            "CALICO_IPV4POOL_BLOCK_SIZE": str(defaults.CALICO_BLOCK_SIZE),
            "CALICO_IPV4POOL_NAT_OUTGOING": "true",
        }
    else:
        env |= {"IP": "none", "CALICO_ROUTER_ID": "hash"}
    if v6:
        # Calico has no IPIP for IPv6; VXLAN follows the IPv4 setting.
        env |= {
            "IP6": "autodetect",
            "CALICO_IPV6POOL_CIDR": str(v6),
            "CALICO_IPV6POOL_VXLAN": modes.vxlan_mode,
            "CALICO_IPV6POOL_NAT_OUTGOING": "true",
        }
    return env


def _cni_config(text: str, ipv4: bool, ipv6: bool, source: str) -> str:
    quoted = text.replace(_MTU_TOKEN, f'"{_MTU_TOKEN}"')
    try:
        conf = json.loads(quoted)
    except json.JSONDecodeError as exc:
        raise ArtifactError(
            f"{source}: cni_network_config is not JSON: {exc}", "use the manifest of the BOM"
        ) from exc
    for plugin in conf.get("plugins", []):
        if plugin.get("type") == "calico":
            ipam = plugin.setdefault("ipam", {"type": "calico-ipam"})
            ipam["assign_ipv4"] = "true" if ipv4 else "false"
            ipam["assign_ipv6"] = "true" if ipv6 else "false"
    out = json.dumps(conf, indent=2)
    return out.replace(f'"{_MTU_TOKEN}"', _MTU_TOKEN) + "\n"


def _drop_bird_probes(node: Doc) -> None:
    """Without BGP there is no BIRD, so its liveness/readiness arguments must go."""
    for probe in ("livenessProbe", "readinessProbe"):
        command = ((node.get(probe) or {}).get("exec") or {}).get("command")
        if isinstance(command, list):
            command[:] = [arg for arg in command if arg not in ("-bird-live", "-bird-ready")]


def _check_supported(net: CalicoNetwork) -> None:
    if net.calico.ipam.pools:
        raise PlanError(
            "network.calico.ipam.pools is not applied by kubexm yet",
            "remove the pools; kubexm creates the default pools from network.kubePodsCIDR",
        )


def render_calico(text: str, net: CalicoNetwork, images: Mapping[str, str], source: str) -> str:
    """The manifest ``text`` adapted to ``net``, images from ``images`` (see
    ``rewrite_images``). PlanError for settings kubexm does not map, ArtifactError when the
    manifest lacks an object kubexm edits."""
    _check_supported(net)
    docs = parse_manifest(text, source)
    v4, v6 = split_dual_stack(net.kube_pods_cidr)
    config = find_object(docs, "ConfigMap", CONFIG_MAP, source)
    data = config["data"]
    data["veth_mtu"] = str(net.calico.networking.veth_mtu or 0)
    data["calico_backend"] = backend(net)
    cni = _cni_config(str(data["cni_network_config"]), v4 is not None, v6 is not None, source)
    data["cni_network_config"] = literal_block(cni)
    workload = find_object(docs, "DaemonSet", DAEMONSET, source)
    node = container(workload, "calico-node", source)
    for name, value in node_env(net).items():
        set_env(node, name, value)
    if backend(net) == "vxlan":
        _drop_bird_probes(node)
    rewrite_images(docs, images, source)
    return dump_manifest(docs)
