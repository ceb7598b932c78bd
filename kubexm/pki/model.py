"""The plain, typed input of the PKI layer.

``PKIPlan`` holds everything certificate generation needs and nothing else, so the layer does not
depend on the config model; a higher layer builds one from the resolved config. Lists may be
passed as lists or tuples: they are stored as tuples so the plan stays hashable and immutable.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from kubexm.errors import PKIError
from kubexm.util.cidr import is_ip, parse_cidr

KeyType = Literal["rsa", "ecdsa"]
KEY_TYPES: tuple[KeyType, ...] = ("rsa", "ecdsa")

DEFAULT_CA_VALIDITY = timedelta(days=3650)
DEFAULT_LEAF_VALIDITY = timedelta(days=365)
DEFAULT_RENEW_BEFORE = timedelta(days=30)
# kubeadm >= 1.29 binds this group to cluster-admin; older versions used system:masters.
DEFAULT_ADMIN_GROUP = "kubeadm:cluster-admins"
# One kubeconfig fits every master because 127.0.0.1 is always in the apiserver SANs.
DEFAULT_LOCAL_APISERVER = "https://127.0.0.1:6443"

# Node names become file names (etcd/<name>-server.crt), so no path separators.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def endpoint_url(host: str, port: int) -> str:
    """Return ``https://host:port``, with an IPv6 literal in brackets."""
    if is_ip(host) and ipaddress.ip_address(host).version == 6:
        return f"https://[{host}]:{port}"
    return f"https://{host}:{port}"


@dataclass(frozen=True)
class Member:
    """One host as the PKI sees it: a name, its addresses and the apiserver URL it uses.

    ``endpoint`` is the URL this host's kubelet and kube-proxy talk to; None means the
    control-plane endpoint of the plan.
    """

    name: str
    addresses: tuple[str, ...] = ()
    endpoint: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "addresses", tuple(self.addresses))


@dataclass(frozen=True)
class PKIPlan:
    """What to issue. Raises ``PKIError`` on construction when a value cannot work.

    ``service_cidrs`` holds one CIDR per IP family (dual-stack: two). ``masters`` are the
    control-plane hosts, ``etcd`` the etcd members that get server and peer certificates,
    ``nodes`` every host that gets kubelet and kube-proxy credentials (binary mode; leave it
    empty in kubeadm mode, where kubelets bootstrap with a token). ``etcd_pki`` False (an
    external etcd, whose own certificates the config names) skips the etcd CA and everything
    it signs. ``key_type`` is the algorithm of NEW keys; an existing key of another type is
    kept unless ``rekey`` is set, so re-running never churns keys.
    """

    cluster_name: str
    masters: tuple[Member, ...]
    service_cidrs: tuple[str, ...] = ("10.96.0.0/12",)
    dns_domain: str = "cluster.local"
    endpoint_domain: str = "lb.kubexm.local"
    endpoint_address: str | None = None
    endpoint_port: int = 6443
    etcd: tuple[Member, ...] = ()
    nodes: tuple[Member, ...] = ()
    cert_extra_sans: tuple[str, ...] = ()
    key_type: KeyType = "rsa"
    rekey: bool = False
    etcd_pki: bool = True
    ca_validity: timedelta = DEFAULT_CA_VALIDITY
    leaf_validity: timedelta = DEFAULT_LEAF_VALIDITY
    renew_before: timedelta = DEFAULT_RENEW_BEFORE
    admin_group: str = DEFAULT_ADMIN_GROUP
    local_apiserver: str = DEFAULT_LOCAL_APISERVER

    def __post_init__(self) -> None:
        for name in ("masters", "service_cidrs", "etcd", "nodes", "cert_extra_sans"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        _validate(self)

    @property
    def control_plane_url(self) -> str:
        """The URL admin credentials use: ``https://<endpoint domain>:<port>``."""
        return endpoint_url(self.endpoint_domain, self.endpoint_port)

    def node_url(self, member: Member) -> str:
        """The URL ``member``'s kubelet and kube-proxy use."""
        return member.endpoint or self.control_plane_url

    def first_service_ips(self) -> list[str]:
        """The first address of every service CIDR: the ``kubernetes`` service IP per family."""
        return [str(parse_cidr(cidr).network_address + 1) for cidr in self.service_cidrs]


def _problem(message: str, hint: str) -> PKIError:
    return PKIError(f"invalid PKI input: {message}", hint)


def _validate(plan: PKIPlan) -> None:
    if not plan.cluster_name.strip():
        raise _problem("the cluster name is empty", "set metadata.name in the config")
    if not plan.masters:
        raise _problem("no control-plane host", "give at least one host the master role")
    for group in (plan.masters, plan.etcd, plan.nodes):
        _check_members(group)
    _check_service_cidrs(plan.service_cidrs)
    _check_san_values((plan.endpoint_domain, plan.dns_domain, *plan.cert_extra_sans))
    _check_settings(plan)


def _check_san_values(values: Iterable[str]) -> None:
    for value in values:
        # Certificates carry names in ASCII (A-label) form only.
        if not value or not value.isascii() or any(c.isspace() for c in value):
            raise _problem(
                f"{value!r} cannot go into a certificate",
                "use an IP address or an ASCII DNS name (punycode for international names)",
            )


def _check_members(members: Iterable[Member]) -> None:
    seen: set[str] = set()
    for member in members:
        if not _NAME.match(member.name):
            raise _problem(
                f"host name {member.name!r} cannot name a certificate file",
                "use letters, digits, '.', '-' or '_' and start with a letter or digit",
            )
        if member.name in seen:
            raise _problem(f"host {member.name!r} is listed twice", "give every host one name")
        seen.add(member.name)
        if member.endpoint is not None and not member.endpoint.startswith("https://"):
            raise _problem(
                f"endpoint {member.endpoint!r} of {member.name} is not an https URL",
                "use https://<host>:<port>",
            )


def _check_service_cidrs(cidrs: tuple[str, ...]) -> None:
    if not cidrs:
        raise _problem("no service CIDR", "set spec.network.kubeServiceCIDR")
    families: list[int] = []
    for cidr in cidrs:
        try:
            families.append(parse_cidr(cidr).version)
        except ValueError as exc:
            raise _problem(str(exc), "fix spec.network.kubeServiceCIDR") from None
    if len(set(families)) != len(families):
        raise _problem(
            f"service CIDRs {', '.join(cidrs)} repeat an IP family",
            "give at most one IPv4 and one IPv6 service CIDR",
        )


def _check_settings(plan: PKIPlan) -> None:
    if plan.key_type not in KEY_TYPES:
        raise _problem(f"key type {plan.key_type!r} is unknown", "use 'rsa' or 'ecdsa'")
    if not 0 < plan.endpoint_port < 65536:
        raise _problem(f"port {plan.endpoint_port} is out of range", "use a port in 1-65535")
    if plan.ca_validity <= timedelta(0) or plan.leaf_validity <= timedelta(0):
        raise _problem("a certificate validity is not positive", "use a positive duration")
    if plan.renew_before < timedelta(0):
        raise _problem("the renew threshold is negative", "use zero or a positive duration")
    if not plan.local_apiserver.startswith("https://"):
        raise _problem(f"{plan.local_apiserver!r} is not an https URL", "use https://<host>:<port>")
