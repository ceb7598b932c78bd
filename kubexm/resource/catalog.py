"""Which container images and helm charts a config needs, as upstream references.

Each ``*_images`` function answers for one area and returns ``Need`` records (upstream
reference, purpose, arches of the hosts that run it); ``resolve`` turns them into
``ImageArtifact`` after the zone and private-registry rewrites.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubexm.apis.v1alpha1.network import CalicoNetwork, CiliumNetwork, FlannelNetwork
from kubexm.common import types as t

from .bom import chart_version, image_repository, image_tag, load_data, strip_v
from .model import ChartArtifact
from .scope import Scope


@dataclass(frozen=True)
class Need:
    """One image the cluster needs: upstream ``ref``, why, and on which arches."""

    ref: str
    purpose: str
    arches: tuple[str, ...]


def _ref(repo_key: str, tag: str) -> str:
    return f"{image_repository(repo_key)}:{tag}"


def _v(version: str) -> str:
    return f"v{strip_v(version)}"


def control_plane_images(scope: Scope) -> list[Need]:
    """kubeadm mode: apiserver, controller-manager, scheduler on masters; kube-proxy on nodes."""
    if scope.is_binary_mode:
        return []
    tag = _v(scope.kubernetes_version)
    registry = image_repository("kube_control_plane")
    masters = scope.arches_of(scope.masters)
    needs = [
        Need(f"{registry}/{name}:{tag}", "control-plane", masters)
        for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
    ]
    if scope.cluster.spec.kubernetes.kube_proxy.enable:
        needs.append(Need(_ref("kube_proxy", tag), "kube-proxy", scope.arches_of(scope.nodes)))
    return needs


def _pause_override(scope: Scope) -> str | None:
    runtime = scope.cluster.spec.kubernetes.container_runtime
    block = getattr(runtime, t.RUNTIME_BLOCK_KEYS[runtime.type], None)
    pause = getattr(block, "pause", None)
    return str(pause) if pause else None


def node_images(scope: Scope) -> list[Need]:
    """pause (or the runtime's own ``pause`` setting), CoreDNS and NodeLocal DNS when on."""
    nodes = scope.arches_of(scope.nodes)
    pause = _pause_override(scope) or _ref("pause", scope.versions["pause_image_tag"])
    needs = [
        Need(pause, "pause", nodes),
        Need(_ref("coredns", scope.versions["coredns_image_tag"]), "dns:coredns", nodes),
    ]
    if scope.cluster.spec.dns.nodelocaldns.enabled:
        tag = scope.versions["nodelocaldns_image_tag"]
        needs.append(Need(_ref("nodelocaldns", tag), "dns:nodelocaldns", nodes))
    return needs


def etcd_images(scope: Scope) -> list[Need]:
    """The etcd image when kubeadm runs etcd as static pods on the masters."""
    etcd = scope.cluster.spec.etcd
    if etcd.type != t.ETCD_KUBEADM:
        return []
    tag = _v(etcd.version) if etcd.version else scope.versions["etcd_image_tag"]
    return [Need(_ref("etcd", tag), "etcd", scope.arches_of(scope.masters))]


def load_balancer_images(scope: Scope) -> list[Need]:
    """kube-vip on the masters; haproxy/nginx static pods on workers in kubeadm mode."""
    kind = scope.cluster.lb_kind
    if kind == t.LB_KUBE_VIP:
        tag = _v(scope.versions["kube_vip"])
        return [Need(_ref("kube_vip", tag), "lb:kube-vip", scope.arches_of(scope.masters))]
    if kind in t.LB_KINDS_WORKER_LOCAL and not scope.is_binary_mode:
        workers = scope.arches_of(scope.workers)
        return [Need(_ref(kind, image_tag(kind)), f"lb:{kind}", workers)] if workers else []
    return []


def _calico(scope: Scope, network: CalicoNetwork) -> list[Need]:
    keys = ["calico_node", "calico_cni", "calico_kube_controllers"]
    if network.calico.typha.enabled:
        keys.append("calico_typha")
    tag = _v(scope.versions["calico"])
    nodes = scope.arches_of(scope.nodes)
    return [Need(_ref(key, tag), "cni:calico", nodes) for key in keys]


def _cilium(scope: Scope, network: CiliumNetwork) -> list[Need]:
    tag = _v(scope.versions["cilium"])
    nodes = scope.arches_of(scope.nodes)
    needs = [
        Need(_ref("cilium", tag), "cni:cilium", nodes),
        Need(_ref("cilium_operator", tag), "cni:cilium", nodes),
        # Cilium runs Envoy as its own DaemonSet by default since 1.16.
        Need(_ref("cilium_envoy", image_tag("cilium_envoy")), "cni:cilium", nodes),
    ]
    hubble = network.cilium.hubble
    if hubble.enable:
        needs.append(Need(_ref("cilium_hubble_relay", tag), "cni:cilium", nodes))
        needs.append(Need(_ref("cilium_certgen", image_tag("cilium_certgen")), "cni:cilium", nodes))
    if hubble.enable and hubble.enable_ui:
        ui_tag = image_tag("cilium_hubble_ui")
        for key in ("cilium_hubble_ui", "cilium_hubble_ui_backend"):
            needs.append(Need(_ref(key, ui_tag), "cni:cilium", nodes))
    return needs


def _flannel(scope: Scope) -> list[Need]:
    nodes = scope.arches_of(scope.nodes)
    return [
        Need(_ref("flannel", _v(scope.versions["flannel"])), "cni:flannel", nodes),
        Need(
            _ref("flannel_cni_plugin", _v(scope.versions["flannel_cni_plugin"])),
            "cni:flannel",
            nodes,
        ),
    ]


def cni_images(scope: Scope) -> list[Need]:
    """Images of the chosen CNI; kube-ovn and hybridnet bring theirs through their chart."""
    network = scope.cluster.spec.network
    if isinstance(network, CalicoNetwork):
        return _calico(scope, network)
    if isinstance(network, CiliumNetwork):
        return _cilium(scope, network)
    if isinstance(network, FlannelNetwork):
        return _flannel(scope)
    return []


def image_needs(scope: Scope) -> list[Need]:
    """Every image the config needs, upstream references, not yet de-duplicated."""
    return [
        *control_plane_images(scope),
        *node_images(scope),
        *etcd_images(scope),
        *load_balancer_images(scope),
        *cni_images(scope),
    ]


@functools.cache
def _chart_table() -> Mapping[str, Mapping[str, Any]]:
    table: Mapping[str, Mapping[str, Any]] = load_data("charts.yaml")["charts"]
    return table


def bom_chart(key: str, purpose: str) -> ChartArtifact:
    """The chart ``key`` of ``data/charts.yaml`` at its BOM version."""
    entry = _chart_table()[key]
    source, bom_key = entry["bom"]
    version = chart_version(str(source), str(bom_key)) or ""
    return ChartArtifact(str(entry["name"]), version, str(entry["repo"]), purpose)


def _addon_charts(scope: Scope) -> tuple[list[ChartArtifact], list[str]]:
    charts: list[ChartArtifact] = []
    notes: list[str] = []
    for addon in scope.cluster.spec.addons:
        for source in addon.sources if addon.enabled else []:
            chart = source.chart
            if chart is None or chart.path or not (chart.name and chart.repo):
                continue
            if not chart.version:
                notes.append(
                    f"addon {addon.name}: chart {chart.name} has no version, so it cannot be "
                    "pinned or bundled; set sources[].chart.version"
                )
                continue
            charts.append(
                ChartArtifact(chart.name, chart.version, chart.repo, f"addon:{addon.name}")
            )
    return charts, notes


def chart_needs(scope: Scope) -> tuple[list[ChartArtifact], list[str]]:
    """Charts of the CNI, the storage providers and enabled add-ons, plus notes on gaps."""
    spec = scope.cluster.spec
    charts: list[ChartArtifact] = []
    notes: list[str] = []
    plugin = spec.network.plugin
    if plugin in (t.CNI_CILIUM, t.CNI_KUBE_OVN, t.CNI_HYBRIDNET):
        charts.append(bom_chart(plugin, f"cni:{plugin}"))
    if plugin in (t.CNI_KUBE_OVN, t.CNI_HYBRIDNET):
        notes.append(f"{plugin}: its images come from its chart and are not listed one by one")
    if spec.network.multus.installation.enabled:
        notes.append("multus: the BOM has no multus image yet; mirror it yourself when offline")
    for provider in spec.storage.enabled_providers():
        if provider in _chart_table():
            charts.append(bom_chart(provider, f"storage:{provider}"))
        else:
            notes.append(f"storage {provider}: the BOM has no chart or images for it yet")
    addon_charts, addon_notes = _addon_charts(scope)
    return [*charts, *addon_charts], [*notes, *addon_notes]
