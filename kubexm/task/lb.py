"""Tasks of the kube-apiserver load balancer, one per goal; which of them run is the module's
choice (by ``cluster.lb_kind``). Every task is pure: config and facts in, steps out.

Where each kind runs (ARCHITECTURE §6): ``kubexm-kh``/``kubexm-kn`` on ``loadbalancer``
hosts (haproxy or nginx + keepalived under systemd); internal ``haproxy``/``nginx`` on every
worker that is not a master, on 127.0.0.1 (systemd in kubexm mode, a static pod in kubeadm
mode); ``kube-vip`` as a static pod on the masters; ``external``: only a reachability check
from every master.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.endpoint import Keepalived, vrrp_address
from kubexm.common import network, ports, roles
from kubexm.common import types as t
from kubexm.common.paths import KUBE_VIP_MANIFEST
from kubexm.errors import PlanError
from kubexm.plan import Fragment, PlanContext
from kubexm.resource.bundle_manifest import os_dir_member
from kubexm.resource.packages import family_of, load_package_table, package_names
from kubexm.runner.facts import Address
from kubexm.step.lb.check_lb_endpoint import CheckLbEndpoint
from kubexm.step.lb.install_lb_packages import InstallLbPackages
from kubexm.step.lb.render import (
    CHECK_SCRIPT,
    STATIC_PODS,
    Backend,
    Vrrp,
    priority,
    render_check_script,
    render_haproxy,
    render_keepalived,
    render_kube_vip,
    render_nginx,
    render_static_pod,
    virtual_router_id,
)
from kubexm.step.lb.start_lb_service import StartLbService
from kubexm.step.lb.tools import STREAM_MODULES
from kubexm.step.lb.write_lb_config import WriteLbConfig
from kubexm.step.lb.write_lb_manifest import WriteLbManifest
from kubexm.task.base import Task
from kubexm.util.version import parse_version

#: The proxy program of each kind that runs one.
PROXY_OF: Mapping[str, str] = {
    t.LB_KUBEXM_KH: "haproxy",
    t.LB_KUBEXM_KN: "nginx",
    t.LB_HAPROXY: "haproxy",
    t.LB_NGINX: "nginx",
}
ADMIN_KUBECONFIG = "/etc/kubernetes/admin.conf"
SUPER_ADMIN_KUBECONFIG = "/etc/kubernetes/super-admin.conf"


def kube_vip_kubeconfig(cluster: Cluster, host: str) -> str:
    """The kubeconfig kube-vip mounts on ``host``.

    Since Kubernetes 1.29 kubeadm's ``admin.conf`` gets its rights through an RBAC binding
    that only exists once the apiserver is up, so on the first master (where kube-vip must
    hold the VIP before ``kubeadm init`` finishes) it needs ``super-admin.conf``
    (https://github.com/kube-vip/kube-vip/issues/684, Kubernetes >= 1.29).
    """
    version = parse_version(cluster.spec.kubernetes.version)
    first = cluster.masters[0].name if cluster.masters else ""
    if host == first and (version.major, version.minor) >= (1, 29):
        return SUPER_ADMIN_KUBECONFIG
    return ADMIN_KUBECONFIG


@dataclass(frozen=True)
class LbPlan:
    """What every LB task shares: the kind, the VRRP secret, the work dir's ``artifacts``
    folder (OS package files under ``os/<os>-<version>/<arch>/``), whether the cluster is
    offline, and the container images (``kind`` -> reference) for the static pods."""

    kind: str
    auth_pass: str = field(default="", repr=False)
    artifacts: Path | None = None
    offline: bool = False
    images: Mapping[str, str] | None = None

    def image(self, kind: str) -> str:
        if not self.images or kind not in self.images:
            raise PlanError(
                f"no container image known for the {kind} load balancer",
                "a kubexm bug: the BOM has no image for it",
            )
        return self.images[kind]


def cluster_of(ctx: PlanContext) -> Cluster:
    """The typed config of ``ctx``; PlanError when the context holds something else."""
    config = ctx.config
    if not isinstance(config, Cluster):
        raise PlanError("the plan context holds no cluster config", "a kubexm bug")
    return config


def lb_hosts(cluster: Cluster, kind: str) -> list[str]:
    """The hosts that run (or, for ``external``, check) the load balancer of ``kind``."""
    if kind in t.LB_KINDS_ON_LB_HOSTS:
        return [h.name for h in cluster.hosts_in_role(roles.ROLE_LOADBALANCER)]
    if kind in t.LB_KINDS_WORKER_LOCAL:
        masters = {h.name for h in cluster.masters}
        workers = cluster.hosts_in_role(roles.ROLE_WORKER)
        return [h.name for h in workers if h.name not in masters]
    if kind in (t.LB_KUBE_VIP, t.LB_EXTERNAL):
        return [h.name for h in cluster.masters]
    return []


def backends(cluster: Cluster) -> list[Backend]:
    """Every master's kube-apiserver, in config order."""
    return [Backend(m.name, m.internal_ip, ports.APISERVER) for m in cluster.masters]


def systemd_mode(cluster: Cluster, kind: str) -> bool:
    """True when the proxy of ``kind`` runs under systemd (always for kh/kn)."""
    return kind in t.LB_KINDS_ON_LB_HOSTS or cluster.spec.kubernetes.type == t.KUBERNETES_KUBEXM


def _fact(ctx: PlanContext, host: str, key: str) -> str:
    value = ctx.facts(host).get(key)
    return value if isinstance(value, str) else ""


def _subnet_interface(ctx: PlanContext, host: str, vip: str) -> str:
    addresses = ctx.facts(host).get("addresses")
    for addr in addresses if isinstance(addresses, tuple) else ():
        if not isinstance(addr, Address):
            continue
        net = ipaddress.ip_network(f"{addr.address}/{addr.prefix}", strict=False)
        if ipaddress.ip_address(vip) in net:
            return addr.interface
    return ""


def interface_of(ctx: PlanContext, host: str, vip: str) -> str:
    """The interface the VIP goes on: the one whose subnet holds ``vip``, else the
    default-route interface (facts); PlanError when neither is known."""
    found = _subnet_interface(ctx, host, vip) or _fact(ctx, host, "default_interface")
    if not found:
        raise PlanError(
            f"[{host}] has no interface in the subnet of the VIP {vip} and no default route",
            "choose a VIP (spec.controlPlaneEndpoint.address) in the hosts' own subnet",
        )
    return found


def _family(ctx: PlanContext, host: str) -> str:
    return family_of(_fact(ctx, host, "os_id") or "debian")


def render_proxy(ctx: PlanContext, host: str, kind: str, *, pod: bool = False) -> str:
    """The haproxy/nginx config of ``kind`` on ``host`` (for the static pod when ``pod``)."""
    cluster = cluster_of(ctx)
    cpe = cluster.spec.control_plane_endpoint
    local = kind in t.LB_KINDS_WORKER_LOCAL
    bind = network.LOCAL_LB_ADDRESS if local else "0.0.0.0"
    port = ports.LOCAL_LB if local else cpe.port
    purpose = "node-local" if local else f"{kind} on load-balancer hosts"
    if PROXY_OF[kind] == "haproxy":
        return render_haproxy(backends(cluster), bind=bind, port=port, purpose=purpose)
    return render_nginx(
        backends(cluster),
        bind=bind,
        port=port,
        purpose=purpose,
        stream_module=None if pod else STREAM_MODULES[_family(ctx, host)],
        pid_file=None if pod else "/run/nginx.pid",
    )


def _package_manager(ctx: PlanContext, cluster: Cluster, host: str) -> str:
    found = _fact(ctx, host, "package_manager")
    if found and found != "none":
        return found
    return cluster.spec.system.package_manager or "apt"


def package_files(ctx: PlanContext, lb: LbPlan, host: str) -> tuple[str, ...]:
    """The OS package files for ``host``'s release under the artifacts folder (sorted), empty
    when there are none; PlanError when the cluster is offline and there are none.

    The rule matches the OS preparation: files present (or offline mode) means install
    from them, else from the host's repositories.
    """
    os_id, version, arch = (_fact(ctx, host, k) for k in ("os_id", "os_version", "arch"))
    if lb.artifacts is not None and os_id and arch:
        for folder in (os_dir_member(os_id, version, arch), os_dir_member(os_id, "", arch)):
            found = sorted(str(p) for p in (lb.artifacts / folder).glob("*") if _package(p))
            if found:
                return tuple(found)
    if lb.offline:
        raise PlanError(
            f"[{host}] offline mode is on but this machine holds no OS package files for it",
            "unpack an offline bundle built for this OS into the work dir's "
            "artifacts/os/<os>-<version>/<arch>/, or set spec.global.offlineMode: false",
        )
    return ()


def unicast_addresses(
    cluster: Cluster, lb_names: Sequence[str], host: str, vip: str
) -> tuple[str, tuple[str, ...]]:
    """``host``'s own VRRP source address and those of the other ``lb_names`` (in order):
    each host's internal address in the VIP's family. PlanError when one has none (the
    config rules reject that first)."""
    found: dict[str, str] = {}
    for name in lb_names:
        found[name] = vrrp_address(cluster.host(name).internal_addresses, vip)
        if not found[name]:
            raise PlanError(
                f"[{name}] has no internal address in the family of the VIP {vip}",
                "give it one in spec.hosts[].internalAddress, or remove keepalived.unicast",
            )
    return found[host], tuple(address for name, address in found.items() if name != host)


def _package(path: Path) -> bool:
    return path.is_file() and path.name.endswith((".deb", ".rpm"))


class _LbTask(Task):
    def __init__(self, lb: LbPlan) -> None:
        self.lb = lb

    def hosts(self, ctx: PlanContext) -> list[str]:
        return lb_hosts(cluster_of(ctx), self.lb.kind)


class LbPackagesInstallTask(_LbTask):
    """haproxy/nginx (and keepalived for kh/kn) packages where they run under systemd."""

    name: ClassVar[str] = "lb/install-packages"
    description: ClassVar[str] = "Install the load balancer's OS packages"

    def is_required(self, ctx: PlanContext) -> bool:
        kind = self.lb.kind
        return kind in PROXY_OF and systemd_mode(cluster_of(ctx), kind)

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        logical: Sequence[str] = load_package_table()["load_balancer"][self.lb.kind]
        frag = Fragment(self.name)
        for host in self.hosts(ctx):
            step = InstallLbPackages(
                tuple(package_names(_family(ctx, host), logical)),
                _package_manager(ctx, cluster, host),
                package_files(ctx, self.lb, host),
            )
            frag.add(step, host)
        return frag


class LbProxyDeployTask(_LbTask):
    """haproxy/nginx: validated config + running service, or config + static pod manifest."""

    name: ClassVar[str] = "lb/deploy-proxy"
    description: ClassVar[str] = "Configure and start haproxy/nginx for the API endpoint"

    def is_required(self, ctx: PlanContext) -> bool:
        return self.lb.kind in PROXY_OF

    def build(self, ctx: PlanContext) -> Fragment:
        frag = Fragment(self.name)
        kind, proxy = self.lb.kind, PROXY_OF[self.lb.kind]
        as_service = systemd_mode(cluster_of(ctx), kind)
        for host in self.hosts(ctx):
            if as_service:
                config = WriteLbConfig(proxy, render_proxy(ctx, host, kind))
                first = frag.add(config, host, id=f"lb/write-{proxy}-config@{host}")
                frag.add(StartLbService(proxy), host, after=[first], id=f"lb/start-{proxy}@{host}")
                continue
            text = render_proxy(ctx, host, kind, pod=True)
            pod = STATIC_PODS[proxy]
            manifest = render_static_pod(proxy, self.lb.image(proxy), text)
            frag.add(WriteLbManifest(((pod.config_path, text), (pod.manifest, manifest))), host)
        return frag


class KeepalivedDeployTask(_LbTask):
    """keepalived on the load-balancer hosts: one VRRP instance holding the VIP."""

    name: ClassVar[str] = "lb/deploy-keepalived"
    description: ClassVar[str] = "Configure and start keepalived for the VIP"

    def is_required(self, ctx: PlanContext) -> bool:
        return self.lb.kind in t.LB_KINDS_ON_LB_HOSTS

    def vrrp(self, ctx: PlanContext, host: str, index: int) -> Vrrp:
        """The VRRP settings of the ``index``-th load-balancer host ``host``."""
        cluster = cluster_of(ctx)
        cpe = cluster.spec.control_plane_endpoint
        settings, vip = cpe.keepalived or Keepalived(), cpe.address
        if not vip:
            raise PlanError(
                f"{self.lb.kind} needs the VIP",
                "set spec.controlPlaneEndpoint.address to a free address in the hosts' subnet",
            )
        lb_names = self.hosts(ctx) if settings.unicast else []
        src, peers = unicast_addresses(cluster, lb_names, host, vip) if lb_names else ("", ())
        return Vrrp(
            router_id=host,
            interface=interface_of(ctx, host, vip),
            vip=vip,
            virtual_router_id=settings.virtual_router_id or virtual_router_id(cluster.cluster_name),
            priority=priority(index),
            auth_pass=self.lb.auth_pass,
            unicast_src_ip=src,
            unicast_peers=peers,
        )

    def build(self, ctx: PlanContext) -> Fragment:
        frag = Fragment(self.name)
        script = ((CHECK_SCRIPT, render_check_script(PROXY_OF[self.lb.kind])),)
        for index, host in enumerate(self.hosts(ctx)):
            conf = render_keepalived(self.vrrp(ctx, host, index))
            first = frag.add(
                WriteLbConfig("keepalived", conf, script), host, id=f"lb/write-keepalived@{host}"
            )
            step = StartLbService("keepalived")
            frag.add(step, host, after=[first], id=f"lb/start-keepalived@{host}")
        return frag


class KubeVipDeployTask(_LbTask):
    """The kube-vip static pod on every master (it must exist before ``kubeadm init``)."""

    name: ClassVar[str] = "lb/deploy-kube-vip"
    description: ClassVar[str] = "Write the kube-vip manifest on the masters"

    def is_required(self, ctx: PlanContext) -> bool:
        return self.lb.kind == t.LB_KUBE_VIP

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        cpe = cluster.spec.control_plane_endpoint
        if not cpe.address:
            raise PlanError("kube-vip needs the VIP", "set spec.controlPlaneEndpoint.address")
        frag = Fragment(self.name)
        for host in self.hosts(ctx):
            text = render_kube_vip(
                self.lb.image(t.LB_KUBE_VIP),
                vip=cpe.address,
                port=cpe.port,
                interface=interface_of(ctx, host, cpe.address),
                kubeconfig=kube_vip_kubeconfig(cluster, host),
            )
            frag.add(WriteLbManifest(((KUBE_VIP_MANIFEST, text),)), host)
        return frag


class ExternalLbCheckTask(_LbTask):
    """An external load balancer: nothing deployed, every master must reach it."""

    name: ClassVar[str] = "lb/check-external"
    description: ClassVar[str] = "Check the external load balancer answers"

    def is_required(self, ctx: PlanContext) -> bool:
        return self.lb.kind == t.LB_EXTERNAL

    def build(self, ctx: PlanContext) -> Fragment:
        cpe = cluster_of(ctx).spec.control_plane_endpoint
        address = cpe.address or cpe.domain
        frag = Fragment(self.name)
        for host in self.hosts(ctx):
            frag.add(CheckLbEndpoint(address, cpe.port), host)
        return frag
