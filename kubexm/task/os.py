"""Tasks that prepare the OS of every host (flows-a I.2 "OS preparation", flows-b §2.11).

Each task plans per host and reads only config and facts. Package source rule (simple and
explicit): a host installs its base packages from files pushed from this machine when
``spec.global.offlineMode`` is true OR the work dir holds package files for its OS release,
``<work dir>/artifacts/os/<os_id>-<os_version>/<arch>/`` (where an unpacked offline bundle and
``kubexm download`` put them); otherwise from the host's configured repositories.
``create cluster --bundle`` turns offline mode on for its run, so a bundle never falls back to
the network. Offline without package files for a host, or with files lacking one of its
packages, is a ``PlanError`` naming them before anything runs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable
from urllib.parse import urlsplit

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.common import roles
from kubexm.common.network import REGISTRY_DOMAIN
from kubexm.errors import PlanError
from kubexm.plan import Fragment, PlanContext
from kubexm.resource.bundle import package_file_matches
from kubexm.resource.bundle_manifest import os_dir_member
from kubexm.resource.packages import load_package_table, package_names
from kubexm.runtime.workdir import WorkDir
from kubexm.step import Step
from kubexm.step.os import (
    InstallLocalOsPackages,
    InstallOsPackages,
    StopFirewall,
    StopSwap,
    WriteChronyConfig,
    WriteHostname,
    WriteHostsBlock,
    WriteKernelModules,
    WriteLimits,
    WriteSelinuxMode,
    WriteSysctl,
    WriteTimezone,
)
from kubexm.task.base import Task, register_task

# flows-b §2.11 (KubeKey initOS.sh) with its noted corrections: vm.overcommit_memory is 1
# (kubelet's protectKernelDefaults expects 1; the script's sed forced 0), kernel.pid_max is
# the 64-bit maximum (65535 is too low for podPidsLimit x pods), and tcp_tw_recycle is left
# out (removed in Linux 4.12; it broke clients behind NAT).
SYSCTL_DEFAULTS: dict[str, str] = {
    "net.ipv4.ip_forward": "1",
    "net.bridge.bridge-nf-call-iptables": "1",
    "net.bridge.bridge-nf-call-ip6tables": "1",
    "net.bridge.bridge-nf-call-arptables": "1",
    "net.ipv4.ip_local_reserved_ports": "30000-32767",
    "net.core.netdev_max_backlog": "65535",
    "net.core.rmem_max": "33554432",
    "net.core.wmem_max": "33554432",
    "net.core.somaxconn": "32768",
    "net.ipv4.tcp_max_syn_backlog": "1048576",
    "net.ipv4.neigh.default.gc_thresh1": "512",
    "net.ipv4.neigh.default.gc_thresh2": "2048",
    "net.ipv4.neigh.default.gc_thresh3": "4096",
    "net.ipv4.tcp_retries2": "15",
    "net.ipv4.tcp_max_tw_buckets": "1048576",
    "net.ipv4.tcp_max_orphans": "65535",
    "net.ipv4.tcp_keepalive_time": "600",
    "net.ipv4.tcp_keepalive_intvl": "30",
    "net.ipv4.tcp_keepalive_probes": "10",
    "net.ipv4.udp_rmem_min": "131072",
    "net.ipv4.udp_wmem_min": "131072",
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
    "net.ipv4.conf.all.arp_accept": "1",
    "net.ipv4.conf.default.arp_accept": "1",
    "net.ipv4.conf.all.arp_ignore": "1",
    "net.ipv4.conf.default.arp_ignore": "1",
    "vm.max_map_count": "262144",
    "vm.swappiness": "0",
    "vm.overcommit_memory": "1",
    "fs.inotify.max_user_instances": "524288",
    "fs.inotify.max_user_watches": "524288",
    "fs.pipe-max-size": "4194304",
    "fs.aio-max-nr": "262144",
    "kernel.pid_max": "4194304",
    "kernel.watchdog_thresh": "5",
    "kernel.hung_task_timeout_secs": "5",
}
# Dual-stack pods need IPv6 forwarding as well.
SYSCTL_IPV6 = {"net.ipv6.conf.all.forwarding": "1"}

LIMITS: tuple[tuple[str, str], ...] = (
    ("nofile", "1048576"),
    ("nproc", "65536"),
    ("memlock", "unlimited"),
)

BASE_MODULES = ("overlay", "br_netfilter", "nf_conntrack")
IPVS_MODULES = ("ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh")
PACKAGE_SUFFIXES = (".deb", ".rpm")


@runtime_checkable
class HasWorkDir(Protocol):
    """A plan context that also knows the work dir (the runtime's ``RunContext`` does)."""

    @property
    def work_dir(self) -> WorkDir: ...


def cluster_of(ctx: PlanContext) -> Cluster:
    """The typed config; ``PlanError`` when the context carries something else."""
    if not isinstance(ctx.config, Cluster):
        raise PlanError(
            "the plan context holds no cluster config", "build the context with runtime.build"
        )
    return ctx.config


def all_hosts(cluster: Cluster) -> list[str]:
    return [h.name for h in cluster.spec.hosts]


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _registry_names(cluster: Cluster) -> tuple[str, ...]:
    names = [REGISTRY_DOMAIN]
    private = cluster.spec.registry.mirroring.private_registry
    # "reg.corp:5000" or "[fd00::1]:5000": only a DNS name needs an /etc/hosts entry.
    host = urlsplit(f"//{private}").hostname if private else None
    if host and not _is_ip(host) and host not in names:
        names.append(host)
    return tuple(names)


def hosts_entries(cluster: Cluster, name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The /etc/hosts block of host ``name``: every node, the control-plane domain as this
    host must reach it, the registry host and ``spec.extra.hosts``."""
    domain = cluster.spec.kubernetes.dns_domain
    entries: list[tuple[str, tuple[str, ...]]] = [
        (address, (h.name, f"{h.name}.{domain}"))
        for h in cluster.spec.hosts
        for address in h.internal_addresses
    ]
    endpoint = cluster.api_endpoint_for(name)
    if not _is_ip(endpoint.domain):
        entries.append((endpoint.address, (endpoint.domain,)))
    registries = cluster.hosts_in_role(roles.ROLE_REGISTRY)
    if registries:
        entries.append((registries[0].internal_ip, _registry_names(cluster)))
    entries += [(str(e.ip), tuple(e.hostnames)) for e in cluster.spec.extra.hosts]
    return tuple(entries)


def kernel_modules(cluster: Cluster) -> tuple[str, ...]:
    """Base modules, the ipvs family when kube-proxy runs in ipvs mode, then the config's."""
    proxy = cluster.spec.kubernetes.kube_proxy
    wanted = [*BASE_MODULES]
    if proxy.enable and proxy.mode == "ipvs":
        wanted += IPVS_MODULES
    wanted += cluster.spec.system.modules
    return tuple(dict.fromkeys(wanted))


def sysctl_params(cluster: Cluster) -> tuple[tuple[str, str], ...]:
    """The defaults, IPv6 forwarding for dual-stack pods, then ``spec.system.sysctlParams``
    (which win)."""
    values = dict(SYSCTL_DEFAULTS)
    if ":" in cluster.spec.network.kube_pods_cidr:
        values.update(SYSCTL_IPV6)
    values.update(cluster.spec.system.sysctl_params)
    return tuple(sorted(values.items()))


@register_task
class HostsConfigureTask(Task):
    """Hostname and the managed /etc/hosts block on every host."""

    name: ClassVar[str] = "os/configure-hosts"
    description: ClassVar[str] = "set hostnames and the /etc/hosts block"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        fragment = Fragment(self.name)
        for host in all_hosts(cluster):
            block = WriteHostsBlock(hosts_entries(cluster, host))
            fragment.chain([(WriteHostname(host), host), (block, host)])
        return fragment


@register_task
class KernelConfigureTask(Task):
    """Swap, SELinux, firewall, kernel modules, sysctl and limits on every host."""

    name: ClassVar[str] = "os/configure-kernel"
    description: ClassVar[str] = "swap off, SELinux permissive, firewall off, kernel tuning"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        modules = WriteKernelModules(kernel_modules(cluster))
        sysctl = WriteSysctl(sysctl_params(cluster))
        fragment = Fragment(self.name)
        for host in all_hosts(cluster):
            steps: list[Step] = [StopSwap()]
            if _has_selinux(ctx.facts(host)):
                steps.append(WriteSelinuxMode())
            steps += [StopFirewall(), modules, sysctl, WriteLimits(LIMITS)]
            fragment.chain((step, host) for step in steps)
        return fragment


def _has_selinux(facts: Mapping[str, object]) -> bool:
    return facts.get("os_family") == "rhel" or facts.get("selinux") in ("enforcing", "permissive")


@register_task
class OSPackagesInstallTask(Task):
    """The base packages (and ``spec.system.rpms``/``debs``) on every host, online or from
    local package files as the module docstring's rule says."""

    name: ClassVar[str] = "os/install-packages"
    description: ClassVar[str] = "install base OS packages"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        fragment = Fragment(self.name)
        for host in all_hosts(cluster):
            fragment.add(self._step(ctx, cluster, host), host)
        return fragment

    def _step(self, ctx: PlanContext, cluster: Cluster, host: str) -> Step:
        facts = ctx.facts(host)
        manager = cluster.spec.system.package_manager or str(facts.get("package_manager", ""))
        table = load_package_table()
        if manager not in table["package_managers"]:
            raise PlanError(
                f"[{host}] no package manager known (facts: {manager or 'not gathered'})",
                "set spec.system.packageManager to apt, dnf or yum",
            )
        family = str(table["package_managers"][manager])
        system = cluster.spec.system
        extra = system.debs if family == "debian" else system.rpms
        names = tuple(dict.fromkeys([*package_names(family, table["base"]), *extra]))
        files = local_package_files(ctx, facts)
        if not files and not cluster.spec.global_.offline_mode:
            return InstallOsPackages(names, manager)
        return _offline_step(host, manager, names, files, _release_of(facts))


def _release_of(facts: Mapping[str, object]) -> str:
    """``debian-12/amd64`` from the facts, for messages."""
    os_id, version, arch = (str(facts.get(k, "")) for k in ("os_id", "os_version", "arch"))
    return f"{os_id or '?'}-{version or '?'}/{arch or '?'}"


def _offline_step(
    host: str, manager: str, names: tuple[str, ...], files: list[Path], release: str
) -> Step:
    if not files:
        raise PlanError(
            f"[{host}] offline mode is on but this machine holds no OS package files for {release}",
            "use an offline bundle built for this OS (kubexm download --os <os>-<version>) or "
            "put the files into the work dir's artifacts/os/<os>-<version>/<arch>/, or set "
            "spec.global.offlineMode: false",
        )
    if manager != "apt":
        # Offline rpm hosts are out of scope for now: picking the .rpm files a host needs
        # means resolving rpm dependencies among them, which no rpm host here can test.
        raise PlanError(
            f"[{host}] installing OS packages from local files needs apt; this host uses {manager}",
            "install the base packages on the host from a local repository (ISO), then set "
            "spec.global.offlineMode: false",
        )
    absent = [n for n in names if not any(package_file_matches(f.name, n) for f in files)]
    if absent:
        raise PlanError(
            f"[{host}] the OS package files for {release} in {files[0].parent} lack "
            f"{', '.join(absent)}",
            "build the bundle again for this config (kubexm download), or add the packages "
            "with their dependencies to that folder",
        )
    return InstallLocalOsPackages(names, tuple(files), manager)


def local_package_files(ctx: PlanContext, facts: Mapping[str, object]) -> list[Path]:
    """Package files for the host's OS release under the work dir's artifacts, sorted."""
    if not isinstance(ctx, HasWorkDir):
        return []
    os_id, version, arch = (str(facts.get(k, "")) for k in ("os_id", "os_version", "arch"))
    if not os_id or not arch:
        return []
    for folder in (os_dir_member(os_id, version, arch), os_dir_member(os_id, "", arch)):
        root = ctx.work_dir.artifacts / folder
        files = sorted(p for p in root.glob("*") if p.name.endswith(PACKAGE_SUFFIXES))
        if files:
            return files
    return []


@register_task
class TimeSyncConfigureTask(Task):
    """Timezone and chrony on every host; skipped with ``spec.system.skipConfigureOS``."""

    name: ClassVar[str] = "os/configure-time"
    description: ClassVar[str] = "timezone and chrony time sync"

    def is_required(self, ctx: PlanContext) -> bool:
        return not cluster_of(ctx).spec.system.skip_configure_os

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        fragment = Fragment(self.name)
        for host in all_hosts(cluster):
            family = str(ctx.facts(host).get("os_family", "debian"))
            chrony = chrony_step(cluster, host, family)
            fragment.chain([(WriteTimezone(cluster.spec.system.timezone), host), (chrony, host)])
        return fragment


def time_servers(cluster: Cluster) -> tuple[list[str], list[str]]:
    """(cluster hosts that serve time, upstream servers outside the cluster).

    ``ntpServers`` entries naming a host make it a server; with no entries the first master
    serves the others from its own clock.
    """
    names = set(all_hosts(cluster))
    servers = cluster.spec.system.ntp_servers
    inside = [s for s in servers if s in names]
    outside = [s for s in servers if s not in names]
    if not servers:
        first = cluster.masters[0] if cluster.masters else cluster.spec.hosts[0]
        inside = [first.name]
    return inside, outside


def chrony_step(cluster: Cluster, host: str, family: str) -> WriteChronyConfig:
    """chrony for ``host``: a client of the upstreams, or of the serving cluster hosts."""
    inside, outside = time_servers(cluster)
    if not inside:
        return WriteChronyConfig(tuple(outside), family)
    if host in inside:
        allow = _allow_list(cluster, exclude=host)
        return WriteChronyConfig(tuple(outside), family, allow=allow, serve=True)
    return WriteChronyConfig(tuple(cluster.host(s).internal_ip for s in inside), family)


def _allow_list(cluster: Cluster, exclude: str) -> tuple[str, ...]:
    addresses: Sequence[str] = [
        a for h in cluster.spec.hosts if h.name != exclude for a in h.internal_addresses
    ]
    return tuple(dict.fromkeys(addresses))
