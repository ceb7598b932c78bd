"""What cluster DNS reads: the CoreDNS Corefile and objects, and NodeLocal DNSCache.

Rendering is pure (config in, text out) so golden files pin every variant. The addresses
come from the config: CoreDNS's Service takes the 10th address of the (first) service CIDR,
NodeLocal DNS listens on ``dns.nodelocaldns.ip`` (169.254.25.10 by default), which is also
what the kubelet's ``clusterDNS`` points at while NodeLocal DNS is on
(``kubexm.step.kubernetes.configs.cluster_dns``; a test keeps the two in step).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import jinja2

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.dns import DNSSpec, ExternalZone
from kubexm.common import ports
from kubexm.errors import KubexmError
from kubexm.util.cidr import nth_address, parse_cidrs

#: CoreDNS's Service is the n-th address of the service CIDR (kubeadm's choice as well).
DNS_SERVICE_INDEX = 10
COREDNS_REPLICAS = 2
NODELOCALDNS_HEALTH_PORT = 9254
RESOLV_CONF = "/etc/resolv.conf"


@dataclass(frozen=True)
class Zone:
    """One forwarded zone block: ``header`` (``a.com:53 b.com:53``) and its settings."""

    header: str
    nameservers: tuple[str, ...]
    cache: int
    rewrite: tuple[tuple[str, str], ...] = ()


def coredns_service_ip(cluster: Cluster) -> str:
    """The CoreDNS Service address: the 10th address of the first service CIDR."""
    first = parse_cidrs(cluster.spec.network.kube_service_cidr)[0]
    return str(nth_address(first, DNS_SERVICE_INDEX))


def _zones(zones: Sequence[ExternalZone]) -> list[Zone]:
    return [
        Zone(
            " ".join(f"{z.rstrip('.')}:53" for z in zone.zones),
            tuple(zone.nameservers),
            zone.cache,
            tuple((r.from_pattern, r.to_template) for r in zone.rewrite),
        )
        for zone in zones
    ]


def upstreams(dns: DNSSpec) -> list[str]:
    """Where names outside the cluster go: the static servers, else the node's resolv.conf."""
    upstream = dns.coredns.upstream
    if upstream.static_servers:
        return list(upstream.static_servers)
    return [RESOLV_CONF]


def _template(name: str) -> jinja2.Template:
    source = resources.files("kubexm").joinpath(f"templates/dns/{name}").read_text("utf-8")
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    return env.from_string(source)


def render(name: str, **values: object) -> str:
    """Render ``templates/dns/<name>`` with ``values``; a missing value is a KubexmError."""
    try:
        return _template(name).render(**values)
    except jinja2.TemplateError as exc:
        raise KubexmError(
            f"cannot render DNS template {name}: {exc}",
            hint="a kubexm bug: report it with the config that triggered it",
        ) from exc


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def render_corefile(cluster: Cluster) -> str:
    """CoreDNS's Corefile: the cluster domain, upstream forwarding, external zones and the
    raw snippets of the config."""
    dns = cluster.spec.dns
    coredns = dns.coredns
    return render(
        "Corefile.j2",
        domain=cluster.spec.kubernetes.dns_domain,
        etc_hosts=bool(dns.dns_etc_hosts),
        rewrite_block=(coredns.rewrite_block or "").strip(),
        metrics_port=ports.COREDNS_METRICS,
        upstreams=upstreams(dns),
        max_concurrent=coredns.upstream.max_concurrent,
        policy=coredns.upstream.policy,
        additional=(coredns.additional_configs or "").strip(),
        zones=_zones(coredns.external_zones),
    )


def render_coredns_config_map(cluster: Cluster) -> str:
    """The ``coredns`` ConfigMap (Corefile, and the hosts file when ``dnsEtcHosts`` is set)."""
    hosts = (cluster.spec.dns.dns_etc_hosts or "").strip()
    return render(
        "coredns-configmap.yaml.j2",
        corefile=render_corefile(cluster),
        etc_hosts=f"{hosts}\n" if hosts else "",
    )


def render_coredns(cluster: Cluster, image: str) -> str:
    """Every CoreDNS object kubexm deploys in binary mode, as one manifest."""
    config_map = render_coredns_config_map(cluster)
    return render(
        "coredns.yaml.j2",
        config_map=config_map.rstrip("\n"),
        corefile_sha256=_sha(config_map),
        replicas=COREDNS_REPLICAS,
        image=image,
        metrics_port=ports.COREDNS_METRICS,
        service_ip=coredns_service_ip(cluster),
    )


def render_nodelocaldns_corefile(cluster: Cluster) -> str:
    """NodeLocal DNS's Corefile: the cluster zones to CoreDNS (over TCP), external zones to
    their nameservers, the rest to the node's resolv.conf, all bound to the local address."""
    dns = cluster.spec.dns
    return render(
        "nodelocaldns-Corefile.j2",
        cluster_zones=[cluster.spec.kubernetes.dns_domain, "in-addr.arpa", "ip6.arpa"],
        local_ip=dns.nodelocaldns.ip,
        coredns_ip=coredns_service_ip(cluster),
        metrics_port=ports.NODELOCALDNS_METRICS,
        health_port=NODELOCALDNS_HEALTH_PORT,
        zones=_zones(dns.nodelocaldns.external_zones),
        upstreams=upstreams(dns),
    )


def render_nodelocaldns(cluster: Cluster, image: str) -> str:
    """The NodeLocal DNSCache objects: ServiceAccount, ConfigMap and the hostNetwork
    DaemonSet listening on ``dns.nodelocaldns.ip``."""
    corefile = render_nodelocaldns_corefile(cluster)
    return render(
        "nodelocaldns.yaml.j2",
        corefile=corefile,
        corefile_sha256=_sha(corefile),
        image=image,
        local_ip=cluster.spec.dns.nodelocaldns.ip,
        metrics_port=ports.NODELOCALDNS_METRICS,
        health_port=NODELOCALDNS_HEALTH_PORT,
    )


def coredns_customised(cluster: Cluster) -> bool:
    """True when the config changes CoreDNS's Corefile from kubeadm's default (then kubexm
    replaces the ConfigMap kubeadm wrote)."""
    dns = cluster.spec.dns
    coredns = dns.coredns
    upstream = coredns.upstream
    return bool(
        dns.dns_etc_hosts
        or coredns.rewrite_block
        or coredns.additional_configs
        or coredns.external_zones
        or upstream.static_servers
        or upstream.policy != "random"
        or upstream.max_concurrent != 1000
    )
