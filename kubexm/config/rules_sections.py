"""Rules inside one section: system, network/CNI, runtime, registry, storage, add-ons, DNS.

Covers config-model §2 rules 13, 23–27, 35–42, 57–63 (those a field type cannot express).
"""

from __future__ import annotations

import base64
import binascii

from kubexm.apis.v1alpha1 import network as net
from kubexm.apis.v1alpha1.base import is_domain
from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.runtime import (
    ContainerdRuntime,
    ContainerRuntime,
    CrioRuntime,
    DockerRuntime,
    IsulaRuntime,
)
from kubexm.apis.v1alpha1.sources import AddonSource
from kubexm.util.cidr import cidr_contains, cidrs_overlap, is_ip, split_csv
from kubexm.util.duration import parse_duration

from .rules_common import Findings

NET = "spec.network"
CERTS = "spec.certs"
# Below an hour certificates expire between two runs; x509 tools and Go stop near year 10000,
# so anything past a century is a typo rather than a plan.
CERT_MIN_SECONDS = 3600.0
CERT_MAX_SECONDS = 36500 * 86400.0


def check(cluster: Cluster, found: Findings) -> None:
    """Run every per-section rule, recording problems and warnings in ``found``."""
    _system(cluster, found)
    _ntp(cluster, found)
    _cidrs(cluster, found)
    _hosts_outside_cluster_ranges(cluster, found)
    _dual_stack_hosts(cluster, found)
    _cni(cluster.spec.network, found)
    _runtime(cluster, found)
    _cgroup_driver(cluster, found)
    _registry(cluster, found)
    _storage(cluster, found)
    _addons(cluster, found)
    _certs(cluster, found)


def _system(cluster: Cluster, found: Findings) -> None:
    system = cluster.spec.system
    manager = system.package_manager
    if manager == "apt" and system.rpms:
        found.error("spec.system.rpms", "rpms are set with packageManager apt", "use debs")
    if manager in ("yum", "dnf") and system.debs:
        found.error("spec.system.debs", f"debs are set with packageManager {manager}", "use rpms")
    if manager is None and system.rpms and system.debs:
        found.error(
            "spec.system.packageManager",
            "rpms and debs are both set",
            "set packageManager, or keep only the list for your distribution",
        )


def _ntp(cluster: Cluster, found: Findings) -> None:
    for index, server in enumerate(cluster.spec.system.ntp_servers):
        host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
        if (is_ip(host) or is_domain(host)) and (not port or port.isdigit()):
            continue
        found.error(
            f"spec.system.ntpServers[{index}]",
            f"{server!r} is not an address, address:port or host name",
            "write it like pool.ntp.org or 10.0.0.1:123",
        )


def _cidrs(cluster: Cluster, found: Findings) -> None:
    network = cluster.spec.network
    pods = split_csv(network.kube_pods_cidr)
    services = split_csv(network.kube_service_cidr)
    for pod in pods:
        for service in services:
            if cidrs_overlap(pod, service):
                found.error(
                    f"{NET}.kubeServiceCIDR",
                    f"{service} overlaps kubePodsCIDR {pod}",
                    "choose service and pod ranges that do not overlap",
                )
    if len(pods) != len(services):
        found.error(
            f"{NET}.kubeServiceCIDR",
            "kubePodsCIDR and kubeServiceCIDR must both be single-stack or both dual-stack",
            "give both an IPv4,IPv6 pair, or both one CIDR",
        )
    dns = cluster.spec.dns.nodelocaldns
    if dns.enabled and any(cidr_contains(c, dns.ip) for c in pods + services):
        found.error(
            "spec.dns.nodelocaldns.ip",
            f"{dns.ip} lies in the pod or service range",
            "use a link-local address such as 169.254.25.10",
        )


def _hosts_outside_cluster_ranges(cluster: Cluster, found: Findings) -> None:
    """A node address inside the pod or service range would be routed into the cluster."""
    network = cluster.spec.network
    ranges = [("kubePodsCIDR", c) for c in split_csv(network.kube_pods_cidr)]
    ranges += [("kubeServiceCIDR", c) for c in split_csv(network.kube_service_cidr)]
    for index, host in enumerate(cluster.spec.hosts):
        addresses = [("address", host.address)] if is_ip(host.address) else []
        addresses += [("internalAddress", ip) for ip in split_csv(host.internal_address or "")]
        for key, ip in addresses:
            inside = [f"{name} {cidr}" for name, cidr in ranges if cidr_contains(cidr, ip)]
            if inside:
                found.error(
                    f"spec.hosts[{index}].{key}",
                    f"{ip} lies in {inside[0]}",
                    "choose pod and service ranges that contain no node address",
                )


def _dual_stack_hosts(cluster: Cluster, found: Findings) -> None:
    if len(split_csv(cluster.spec.network.kube_pods_cidr)) < 2:
        return
    for index, host in enumerate(cluster.spec.hosts):
        if not any(":" in address for address in host.internal_addresses):
            found.warn(
                f"spec.hosts[{index}].internalAddress",
                "the cluster is dual-stack but this host has no IPv6 address",
            )


def _cni(network: net.NetworkSpec, found: Findings) -> None:
    if isinstance(network, net.CalicoNetwork):
        mode = network.calico.networking
        if mode.ipip_mode != "Never" and mode.vxlan_mode != "Never":
            found.error(
                f"{NET}.calico.networking.vxlanMode",
                "IPIP and VXLAN are both on",
                "set one of ipipMode / vxlanMode to Never",
            )
    elif isinstance(network, net.CiliumNetwork):
        hubble = network.cilium.hubble
        if hubble.enable_ui and not hubble.enable:
            found.error(f"{NET}.cilium.hubble.enableUI", "needs hubble.enable", "set enable: true")
    elif isinstance(network, net.FlannelNetwork):
        _flannel(network.flannel.backend, found)
    elif isinstance(network, net.HybridnetNetwork):
        default = network.hybridnet.default_network
        if default.type == "Underlay" and not default.default_underlay_subnet_name:
            found.error(
                f"{NET}.hybridnet.defaultNetwork.defaultUnderlaySubnetName",
                "an Underlay network needs a subnet name",
                "name the underlay subnet",
            )


def _flannel(backend: net.FlannelBackend, found: Findings) -> None:
    blocks = {"vxlan": backend.vxlan, "host-gw": backend.host_gw, "ipsec": backend.ipsec}
    for name, block in blocks.items():
        if block is not None and name != backend.type:
            found.error(
                f"{NET}.flannel.backend.{name}",
                f"set while backend.type is {backend.type}",
                f"remove it, or set type: {name}",
            )


def _runtime(cluster: Cluster, found: Findings) -> None:
    runtime = cluster.spec.kubernetes.container_runtime
    if not isinstance(runtime, ContainerdRuntime):
        return
    config = runtime.containerd
    both = sorted(set(config.required_plugins) & set(config.disabled_plugins))
    if both:
        found.error(
            "spec.kubernetes.containerRuntime.containerd.disabledPlugins",
            f"{', '.join(both)} also listed in requiredPlugins",
            "a plugin cannot be required and disabled",
        )
    base = "spec.kubernetes.containerRuntime.containerd.registry.configs"
    for host, host_config in config.registry.configs.items():
        auth = host_config.auth
        complete = auth is None or (auth.username and auth.password) or auth.auth
        if not complete and not (auth and auth.identity_token):
            found.error(f"{base}.{host}.auth", "incomplete credentials", _AUTH_HINT)


def _runtime_cgroup(runtime: ContainerRuntime) -> tuple[str, str]:
    """The cgroup driver of the runtime and the key that sets it."""
    if isinstance(runtime, ContainerdRuntime):
        return runtime.containerd.cgroup_driver, "containerd.useSystemdCgroup"
    if isinstance(runtime, DockerRuntime):
        return runtime.docker.cgroup_driver, "docker.cgroupDriver"
    if isinstance(runtime, CrioRuntime):
        return runtime.crio.cgroup_manager, "crio.cgroupManager"
    if isinstance(runtime, IsulaRuntime):
        return runtime.isulad.cgroup_manager, "isulad.cgroupManager"
    raise TypeError(type(runtime).__name__)


def _cgroup_driver(cluster: Cluster, found: Findings) -> None:
    # kubelet and the runtime must agree, or pods fail to start with a cgroup error.
    kube = cluster.spec.kubernetes
    driver, key = _runtime_cgroup(kube.container_runtime)
    if driver != kube.kubelet.cgroup_driver:
        found.error(
            "spec.kubernetes.kubelet.cgroupDriver",
            f"{kube.kubelet.cgroup_driver} differs from the runtime's {driver} ({key})",
            "use systemd in both places",
        )


_AUTH_HINT = "set username and password, a base64 auth, or an identityToken"


def _decodes_to_pair(secret: str) -> bool:
    try:
        text = base64.b64decode(secret, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in text


def _registry(cluster: Cluster, found: Findings) -> None:
    registry = cluster.spec.registry
    rewrite = registry.mirroring.namespace_rewrite
    if rewrite.enabled and not rewrite.rules:
        found.error(
            "spec.registry.mirroring.namespaceRewrite.rules", "no rules", "add a rule or disable"
        )
    for host, entry in registry.auths.items():
        path = f"spec.registry.auths.{host}"
        has_pair = bool(entry.username and entry.password)
        # No credentials at all is fine: the entry then only says how to connect (plainHTTP,
        # skipTLSVerify, certsPath), as for an anonymous registry over plain HTTP.
        half_pair = bool(entry.username) != bool(entry.password)
        if half_pair or (has_pair and entry.auth):
            found.error(path, "needs username+password or auth (not both)", _AUTH_HINT)
        elif entry.auth and not _decodes_to_pair(entry.auth.get_secret_value()):
            found.error(f"{path}.auth", "is not base64 of user:password", "re-encode it")


def _storage(cluster: Cluster, found: Findings) -> None:
    storage = cluster.spec.storage
    if storage.default_storage_class and not storage.enabled_providers():
        found.error(
            "spec.storage.defaultStorageClass", "no storage provider is enabled", "enable one"
        )
    engines = storage.openebs.engines
    on = [engines.local_hostpath.enabled] + [
        e.enabled for e in (engines.mayastor, engines.jiva, engines.cstor)
    ]
    if storage.openebs.enabled and not any(on):
        found.error("spec.storage.openebs.engines", "no engine is enabled", "enable localHostpath")
    nfs = storage.nfs
    if nfs.enabled and not (nfs.server and nfs.path):
        found.error("spec.storage.nfs", "server and path are required", "set both")
    rook = storage.rook_ceph
    if rook.enabled and bool(rook.use_all_devices) == bool(rook.devices):
        found.error(
            "spec.storage.rookCeph", "set useAllDevices or devices", "exactly one of the two"
        )


def _addons(cluster: Cluster, found: Findings) -> None:
    seen: set[str] = set()
    for index, addon in enumerate(cluster.spec.addons):
        path = f"spec.addons[{index}]"
        if addon.name in seen:
            found.error(f"{path}.name", f"duplicate add-on {addon.name!r}", "rename or remove it")
        seen.add(addon.name)
        if addon.enabled and not addon.sources:
            found.error(f"{path}.sources", "an enabled add-on needs a source", "add chart or yaml")
        for number, source in enumerate(addon.sources):
            _source(source, f"{path}.sources[{number}]", found)


def _source(source: AddonSource, path: str, found: Findings) -> None:
    if (source.chart is None) == (source.yaml is None):
        found.error(path, "needs exactly one of chart or yaml", "keep one")
        return
    chart = source.chart
    if chart is None:
        return
    if bool(chart.path) == bool(chart.name and chart.repo):
        found.error(f"{path}.chart", "set name and repo, or a local path", "exactly one form")
    for number, value in enumerate(chart.values):
        if "=" not in value:
            found.error(f"{path}.chart.values[{number}]", "not key=value", "write key=value")


def _certs(cluster: Cluster, found: Findings) -> None:
    certs = cluster.spec.certs
    durations = {"caDuration": certs.ca_duration, "certDuration": certs.cert_duration}
    seconds = {key: parse_duration(text) for key, text in durations.items()}
    for key, value in seconds.items():
        if not CERT_MIN_SECONDS <= value <= CERT_MAX_SECONDS:
            found.error(
                f"{CERTS}.{key}",
                f"{durations[key]!r} is out of range",
                "use a duration from 1h to 876000h (100 years), e.g. 8760h",
            )
    if seconds["certDuration"] > seconds["caDuration"]:
        found.error(
            f"{CERTS}.certDuration",
            f"certificates ({durations['certDuration']}) would outlive their CA"
            f" ({durations['caDuration']})",
            "make certDuration at most caDuration",
        )
