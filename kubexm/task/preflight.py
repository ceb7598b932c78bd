"""Preflight planning: which checks run on which host, with what the config requires.

Pure: reads the config and the gathered facts. Cross-host checks (a hostname or an address
used by two hosts) are decided here, from every host's facts, and handed to each host's
check as data, so every host involved reports the clash itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.common import ports, roles
from kubexm.common import types as t
from kubexm.errors import PlanError
from kubexm.plan import Fragment, PlanContext
from kubexm.step.preflight import CHECK_NAMES, CheckHost, Requirements
from kubexm.step.preflight.rules import (
    MASTER_EXTRA_MEMORY_MIB,
    MASTER_MIN_CPUS,
    MIN_VAR_LIB_MIB,
)
from kubexm.task.base import Task, register_task

BASE_MODULES = ("overlay", "br_netfilter")
IPVS_MODULES = ("ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh", "nf_conntrack")
_RUNTIME_SECTIONS = {"containerd": "containerd", "docker": "docker", "cri-o": "crio"}


def cluster_of(ctx: PlanContext) -> Cluster:
    """The ``Cluster`` behind ``ctx.config``; ``PlanError`` when it is something else."""
    cluster = ctx.config
    if not isinstance(cluster, Cluster):
        raise PlanError("preflight needs a loaded cluster config", "load it with config.load")
    return cluster


def role_ports(cluster: Cluster, name: str) -> tuple[int, ...]:
    """TCP ports kubexm will listen on at host ``name``, from its roles and the LB kind."""
    host_roles = set(cluster.roles_of(name))
    wanted: set[int] = set()
    if roles.ROLE_MASTER in host_roles:
        wanted |= {ports.APISERVER, ports.KUBELET, ports.CONTROLLER_MANAGER, ports.SCHEDULER}
    if roles.ROLE_WORKER in host_roles:
        wanted.add(ports.KUBELET)
        if cluster.lb_kind in t.LB_KINDS_WORKER_LOCAL:
            wanted.add(ports.LOCAL_LB)
    if name in {h.name for h in cluster.etcd_members()}:
        wanted |= {ports.ETCD_CLIENT, ports.ETCD_PEER}
    if roles.ROLE_LOADBALANCER in host_roles and cluster.lb_kind in t.LB_KINDS_ON_LB_HOSTS:
        wanted.add(cluster.spec.control_plane_endpoint.port)
    return tuple(sorted(wanted))


def required_modules(cluster: Cluster) -> tuple[str, ...]:
    """Kernel modules every host needs: overlay, br_netfilter, IPVS when kube-proxy uses it,
    plus ``spec.system.modules``."""
    proxy = cluster.spec.kubernetes.kube_proxy
    ipvs = IPVS_MODULES if proxy.enable and proxy.mode == "ipvs" else ()
    wanted = [*BASE_MODULES, *ipvs, *cluster.spec.system.modules]
    return tuple(dict.fromkeys(wanted))


def _runtime(cluster: Cluster) -> tuple[str, str, str]:
    """(type, cgroup driver, explicitly configured version or "")."""
    runtime = cluster.spec.kubernetes.container_runtime
    section = getattr(runtime, _RUNTIME_SECTIONS.get(runtime.type, "isulad"), None)
    driver = getattr(section, "cgroup_driver", None) or getattr(section, "cgroup_manager", None)
    version = runtime.version or getattr(section, "version", None) or ""
    return runtime.type, str(driver or "systemd"), str(version).lstrip("v")


def clashes(values: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """For ``(host, value)`` pairs: each host -> the other hosts with the same value."""
    by_value: dict[str, list[str]] = {}
    for host, value in values:
        if value:
            by_value.setdefault(value, []).append(host)
    return {
        host: tuple(h for h in hosts if h != host)
        for hosts in by_value.values()
        if len(hosts) > 1
        for host in hosts
    }


def requirements_for(
    cluster: Cluster,
    name: str,
    *,
    same_hostname: tuple[str, ...] = (),
    same_address: tuple[str, ...] = (),
    leftovers_fatal: bool = True,
) -> Requirements:
    """What the config asks of host ``name``; the keyword arguments are the cross-host
    findings of the planner and the leftovers policy."""
    pf = cluster.spec.preflight
    host_roles = cluster.roles_of(name)
    master = roles.ROLE_MASTER in host_roles
    big = master or roles.ROLE_ETCD in host_roles
    runtime, driver, version = _runtime(cluster)
    return Requirements(
        roles=tuple(host_roles),
        arch=cluster.host(name).arch,
        min_cpus=max(pf.min_cpu_cores, MASTER_MIN_CPUS) if master else pf.min_cpu_cores,
        min_memory_mib=pf.min_memory_mb + (MASTER_EXTRA_MEMORY_MIB if master else 0),
        min_var_lib_mib=MIN_VAR_LIB_MIB["master" if big else "default"],
        ports=role_ports(cluster, name),
        modules=required_modules(cluster),
        kubernetes_version=str(cluster.spec.kubernetes.version),
        kubelet_cgroup_driver=cluster.spec.kubernetes.kubelet.cgroup_driver,
        runtime=runtime,
        runtime_cgroup_driver=driver,
        runtime_version=version,
        disable_swap=pf.disable_swap,
        disable_selinux=pf.disable_selinux,
        disable_firewalld=pf.disable_firewalld,
        same_hostname=same_hostname,
        same_address=same_address,
        leftovers_fatal=leftovers_fatal,
    )


@register_task
@dataclass
class PreflightCheckTask(Task):
    """Plans one ``CheckHost`` node per (check, host) for every host with facts, minus the
    skipped checks (``skip`` plus ``spec.preflight.skipChecks``). Nodes have no edges: every
    check runs and reports on its own."""

    name = "preflight/check"
    description = "check every host before anything is installed"

    skip: frozenset[str] = field(default_factory=frozenset)
    leftovers_fatal: bool = True

    def checks(self, cluster: Cluster) -> list[str]:
        skipped = self.skip | set(cluster.spec.preflight.skip_checks)
        return [c for c in CHECK_NAMES if c not in skipped]

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        hosts = [h.name for h in cluster.spec.hosts if ctx.facts(h.name)]
        hostnames = clashes((h, str(ctx.facts(h).get("hostname", "")).lower()) for h in hosts)
        # The config already rejects one address given twice; this catches two entries that
        # reach one machine, or cloned machines that kept one IP.
        addresses = clashes((h, str(ctx.facts(h).get("default_ipv4") or "")) for h in hosts)
        fragment = Fragment(self.name)
        items = self.checks(cluster)
        for host in hosts:
            req = requirements_for(
                cluster,
                host,
                same_hostname=hostnames.get(host, ()),
                same_address=addresses.get(host, ()),
                leftovers_fatal=self.leftovers_fatal,
            )
            for item in items:
                fragment.add(CheckHost(item, req), host, id=check_node_id(item, host))
        return fragment


def check_node_id(item: str, host: str) -> str:
    """``preflight/<check>@<host>``: the node of one check on one host."""
    return f"preflight/{item}@{host}"
