"""Rules on the cluster shape: version, types, etcd, endpoint and load balancer, support matrix.

Covers config-model §2 rules 15, 29–34, 43–54 with the decisions of ARCHITECTURE §6.
"""

from __future__ import annotations

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.endpoint import vrrp_address
from kubexm.apis.v1alpha1.etcd import ExternalEtcd, KubexmEtcd
from kubexm.common import roles
from kubexm.common import types as t
from kubexm.common.versions import SUPPORTED_KUBERNETES_MINORS
from kubexm.util.version import parse_version

from .rules_common import Findings

CPE = "spec.controlPlaneEndpoint"


def check(cluster: Cluster, found: Findings) -> None:
    """Run every topology rule, recording problems and warnings in ``found``."""
    before = len(found.problems)
    _version(cluster, found)
    _types(cluster, found)
    _etcd(cluster, found)
    _load_balancer(cluster, found)
    _vip(cluster, found)
    _keepalived(cluster, found)
    # Only a config whose parts are each valid can be judged against the matrix as a whole.
    if len(found.problems) == before and cluster.spec.hosts and cluster.masters:
        _matrix(cluster, found)


def _version(cluster: Cluster, found: Findings) -> None:
    version = parse_version(cluster.spec.kubernetes.version)
    if version.minor_str in SUPPORTED_KUBERNETES_MINORS:
        return
    supported = ", ".join(SUPPORTED_KUBERNETES_MINORS)
    message = f"Kubernetes {version.with_v()} is not supported (supported minors: {supported})"
    if found.allow_unsupported:
        found.warn("spec.kubernetes.version", message)
    else:
        found.error(
            "spec.kubernetes.version",
            message,
            "pick a supported version ('kubexm config validate --allow-unsupported' checks the"
            " rest of the config meanwhile)",
        )


def _types(cluster: Cluster, found: Findings) -> None:
    kube = cluster.spec.kubernetes
    if kube.type == t.KUBERNETES_KUBEXM and cluster.spec.etcd.type == t.ETCD_KUBEADM:
        found.error(
            "spec.etcd.type",
            "etcd.type kubeadm needs kubernetes.type kubeadm (there is no kubeadm to run it)",
            "use etcd.type kubexm or external with kubernetes.type kubexm",
        )
    proxy = kube.kube_proxy
    if not proxy.enable and proxy.mode is not None:
        found.error(
            "spec.kubernetes.kubeProxy.mode",
            "a mode is set while kube-proxy is disabled",
            "remove mode, or set enable: true",
        )
    audit = kube.api_server.audit
    if audit.enabled and not audit.policy_file_content:
        found.error(
            "spec.kubernetes.apiServer.audit.policyFileContent",
            "audit is enabled without a policy",
            "paste the audit policy YAML here, or disable audit",
        )


def _etcd(cluster: Cluster, found: Findings) -> None:
    etcd = cluster.spec.etcd
    if isinstance(etcd, ExternalEtcd):
        _external_etcd(etcd, found)
    elif isinstance(etcd, KubexmEtcd):
        perf = etcd.performance
        if perf.election_timeout_millis < 5 * perf.heartbeat_interval_millis:
            found.warn(
                "spec.etcd.performance.electionTimeoutMillis",
                "should be at least 5 times heartbeatIntervalMillis",
            )
        cluster_cfg = etcd.cluster
        if cluster_cfg.client_port == cluster_cfg.peer_port:
            found.error(
                "spec.etcd.cluster.peerPort", "equals clientPort", "use two different ports"
            )


def _external_etcd(etcd: ExternalEtcd, found: Findings) -> None:
    ext = etcd.external
    base = "spec.etcd.external"
    for index, endpoint in enumerate(ext.endpoints):
        if not endpoint.startswith(("https://", "http://")):
            found.error(
                f"{base}.endpoints[{index}]",
                f"{endpoint!r} is not a URL",
                "write it like https://10.0.0.5:2379",
            )
    if ext.cert_file and not ext.key_file:
        found.error(f"{base}.keyFile", "certFile is set without keyFile", "set both or neither")
    if ext.key_file and not ext.cert_file:
        found.error(f"{base}.certFile", "keyFile is set without certFile", "set both or neither")
    if (ext.cert_file or ext.key_file) and not ext.ca_file:
        found.error(f"{base}.caFile", "client certificates need the etcd CA", "set caFile as well")


def _load_balancer(cluster: Cluster, found: Findings) -> None:
    cpe = cluster.spec.control_plane_endpoint
    external, internal = cpe.external_load_balancer, cpe.internal_loadbalancer
    if external and internal:
        found.error(
            f"{CPE}.internalLoadbalancer",
            f"externalLoadBalancer {external} and internalLoadbalancer {internal} are both set",
            "keep one of them",
        )
        return
    configured = external or (internal if internal != t.LB_NONE else None)
    if configured and len(cluster.masters) == 1:
        key = "externalLoadBalancer" if external else "internalLoadbalancer"
        found.error(
            f"{CPE}.{key}",
            f"load balancer {configured} needs more than one master",
            "remove it, or add masters (an odd count: 3, 5)",
        )
        return
    _lb_hosts(cluster, found)


def _lb_hosts(cluster: Cluster, found: Findings) -> None:
    kind = cluster.lb_kind
    lb_hosts = cluster.spec.role_groups.loadbalancer
    if kind in t.LB_KINDS_ON_LB_HOSTS and not lb_hosts:
        found.error(
            "spec.roleGroups.loadbalancer",
            f"{kind} needs hosts in the loadbalancer group",
            "list the hosts that run keepalived and the proxy",
        )
    elif kind == t.LB_EXTERNAL and lb_hosts:
        found.error(
            "spec.roleGroups.loadbalancer",
            "an external load balancer is not deployed by kubexm, so it takes no hosts",
            "remove the loadbalancer group, or use kubexm-kh / kubexm-kn",
        )
    elif kind not in t.LB_KINDS_ON_LB_HOSTS and lb_hosts:
        found.warn("spec.roleGroups.loadbalancer", f"unused with load balancer {kind}")


def _vip(cluster: Cluster, found: Findings) -> None:
    cpe = cluster.spec.control_plane_endpoint
    kind = cluster.lb_kind
    if kind in t.LB_KINDS_WITH_VIP and not cpe.address:
        found.error(f"{CPE}.address", f"{kind} needs the VIP", "set address to a free IP")
    elif kind not in t.LB_KINDS_WITH_VIP and cpe.address:
        found.error(
            f"{CPE}.address",
            f"address (a VIP) is not used with load balancer {kind}",
            "remove address, or choose kube-vip, kubexm-kh, kubexm-kn or external",
        )
    if cpe.external_dns and cpe.address:
        found.error(f"{CPE}.address", "externalDNS resolves domain itself", "remove address")
    taken = {a for h in cluster.spec.hosts for a in (h.address, *h.internal_addresses)}
    if cpe.address and cpe.address in taken:
        found.error(
            f"{CPE}.address", f"VIP {cpe.address} is a host's address", "use a free address"
        )


def _keepalived(cluster: Cluster, found: Findings) -> None:
    settings = cluster.spec.control_plane_endpoint.keepalived
    if settings is None:
        return
    if cluster.lb_kind not in t.LB_KINDS_ON_LB_HOSTS:
        found.error(
            f"{CPE}.keepalived",
            "applies only to externalLoadBalancer kubexm-kh or kubexm-kn; "
            f"the load balancer here is {cluster.lb_kind}",
            "remove the keepalived block, or set externalLoadBalancer to kubexm-kh or kubexm-kn",
        )
    elif settings.unicast:
        _unicast_peers(cluster, found)


def _unicast_peers(cluster: Cluster, found: Findings) -> None:
    """Unicast needs a peer, and every load-balancer host an address in the VIP's family."""
    lb_names = cluster.spec.role_groups.members(roles.ROLE_LOADBALANCER)
    if len(lb_names) == 1:
        # Not an error: the one host holds the VIP either way and the setting is ready for a
        # second host; until then keepalived falls back to multicast that nobody answers.
        found.warn(
            f"{CPE}.keepalived.unicast",
            "has no effect with one loadbalancer host (no peer to advertise to); "
            "add a second host to spec.roleGroups.loadbalancer, or remove unicast",
        )
    vip = cluster.spec.control_plane_endpoint.address
    family = "IPv6" if vip and ":" in vip else "IPv4"
    for index, host in enumerate(cluster.spec.hosts):
        if vip and host.name in lb_names and not vrrp_address(host.internal_addresses, vip):
            found.error(
                f"spec.hosts[{index}].internalAddress",
                f"loadbalancer host {host.name} has no {family} address for unicast VRRP "
                f"with the VIP {vip}",
                f"give it an {family} internalAddress, or remove keepalived.unicast",
            )


def _matrix(cluster: Cluster, found: Findings) -> None:
    if cluster.support_row is None:
        spec = cluster.spec
        found.error(
            "spec.kubernetes.type",
            f"kubernetes {spec.kubernetes.type} + etcd {spec.etcd.type} + load balancer "
            f"{cluster.lb_kind} with {len(cluster.masters)} master(s) is not supported",
            "see the support matrix in the documentation",
        )
