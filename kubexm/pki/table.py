"""kubeadm's certificate table as data, and the routine that turns it into concrete requests.

Names are paths under the local ``pki/`` directory without the ``.crt``/``.key`` suffix and
mirror kubeadm's (https://kubernetes.io/docs/setup/best-practices/certificates/). Where kubeadm
keeps one file per host under a fixed name (``etcd/server.crt`` on every etcd host), the local
directory holds one per host and the upload step renames it:

==========================  =====================================  ============================
local name                  on the host                            issued for
==========================  =====================================  ============================
``etcd/<node>-server``      ``/etc/kubernetes/pki/etcd/server``    every etcd member
``etcd/<node>-peer``        ``/etc/kubernetes/pki/etcd/peer``      every etcd member
``kubelet/<node>-client``   embedded in ``kubelet.conf``           every node (binary mode)
``kubelet/<node>-serving``  ``/var/lib/kubelet/pki/kubelet``       every node (binary mode)
``clients/<user>``          embedded in ``/etc/kubernetes/*.conf``  admin and components
==========================  =====================================  ============================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from kubexm.common.paths import ETCD_PKI, KUBELET_DIR, KUBERNETES_PKI
from kubexm.pki.certs import CertProfile, normalise_sans
from kubexm.pki.model import Member, PKIPlan

Scope = Literal["cluster", "etcd", "node"]
SERVER = ("serverAuth",)
CLIENT = ("clientAuth",)
BOTH = ("serverAuth", "clientAuth")


@dataclass(frozen=True)
class CASpec:
    """One certificate authority: its file stem and common name."""

    name: str
    cn: str


ETCD_CA = "etcd/ca"
CAS: tuple[CASpec, ...] = (
    CASpec("ca", "kubernetes"),
    CASpec(ETCD_CA, "etcd-ca"),
    CASpec("front-proxy-ca", "front-proxy-ca"),
)


def cas_for(plan: PKIPlan) -> list[CASpec]:
    """The CAs ``plan`` needs: all of ``CAS``, without the etcd CA for an external etcd."""
    return [spec for spec in CAS if plan.etcd_pki or spec.name != ETCD_CA]


@dataclass(frozen=True)
class LeafRow:
    """One row of the table. ``{node}`` in ``name`` and ``cn`` is replaced per host.

    ``orgs`` may hold ``{admin_group}``, the plan's group for cluster administrators.
    ``sans`` names a rule in ``SAN_RULES``; ``scope`` says whether the row is issued once,
    per etcd member or per node.
    """

    name: str
    ca: str
    cn: str
    orgs: tuple[str, ...]
    ext_key_usages: tuple[str, ...]
    sans: str = "none"
    scope: Scope = "cluster"
    key_usages: tuple[str, ...] = ("digitalSignature", "keyEncipherment")


LEAVES: tuple[LeafRow, ...] = (
    LeafRow("apiserver", "ca", "kube-apiserver", (), SERVER, "apiserver"),
    LeafRow(
        "apiserver-kubelet-client",
        "ca",
        "kube-apiserver-kubelet-client",
        ("{admin_group}",),
        CLIENT,
    ),
    LeafRow("apiserver-etcd-client", "etcd/ca", "kube-apiserver-etcd-client", (), CLIENT),
    LeafRow("front-proxy-client", "front-proxy-ca", "front-proxy-client", (), CLIENT),
    LeafRow("etcd/{node}-server", "etcd/ca", "{node}", (), BOTH, "etcd-member", "etcd"),
    LeafRow("etcd/{node}-peer", "etcd/ca", "{node}", (), BOTH, "etcd-member", "etcd"),
    LeafRow("etcd/healthcheck-client", "etcd/ca", "kube-etcd-healthcheck-client", (), CLIENT),
    LeafRow("clients/admin", "ca", "kubernetes-admin", ("{admin_group}",), CLIENT),
    LeafRow("clients/super-admin", "ca", "kubernetes-super-admin", ("system:masters",), CLIENT),
    LeafRow("clients/controller-manager", "ca", "system:kube-controller-manager", (), CLIENT),
    LeafRow("clients/scheduler", "ca", "system:kube-scheduler", (), CLIENT),
    LeafRow("clients/kube-proxy", "ca", "system:kube-proxy", (), CLIENT),
    LeafRow(
        "kubelet/{node}-client",
        "ca",
        "system:node:{node}",
        ("system:nodes",),
        CLIENT,
        "none",
        "node",
    ),
    LeafRow(
        "kubelet/{node}-serving",
        "ca",
        "system:node:{node}",
        ("system:nodes",),
        SERVER,
        "kubelet-serving",
        "node",
    ),
)


@dataclass(frozen=True)
class LeafRequest:
    """A concrete certificate to hold: where it lives, which CA signs it, what it says."""

    name: str
    ca: str
    profile: CertProfile


def _apiserver_sans(plan: PKIPlan, _member: Member | None) -> list[str]:
    domain = plan.dns_domain
    sans = ["kubernetes", "kubernetes.default", "kubernetes.default.svc"]
    sans.append(f"kubernetes.default.svc.{domain}")
    sans += plan.first_service_ips()
    sans += ["localhost", "127.0.0.1", plan.endpoint_domain]
    if plan.endpoint_address:
        sans.append(plan.endpoint_address)
    for master in plan.masters:
        sans += [master.name, *master.addresses]
    return [*sans, *plan.cert_extra_sans]


def _etcd_member_sans(_plan: PKIPlan, member: Member | None) -> list[str]:
    if member is None:  # the rule only makes sense per etcd member
        return []
    return [member.name, "localhost", *member.addresses, "127.0.0.1", "::1"]


def _kubelet_serving_sans(_plan: PKIPlan, member: Member | None) -> list[str]:
    if member is None:  # the rule only makes sense per node
        return []
    return [member.name, *member.addresses]


def _no_sans(_plan: PKIPlan, _member: Member | None) -> list[str]:
    return []


SAN_RULES: dict[str, Callable[[PKIPlan, Member | None], list[str]]] = {
    "apiserver": _apiserver_sans,
    "etcd-member": _etcd_member_sans,
    "kubelet-serving": _kubelet_serving_sans,
    "none": _no_sans,
}


def _members(plan: PKIPlan, scope: Scope) -> list[Member | None]:
    if scope == "etcd":
        return list(plan.etcd)
    if scope == "node":
        return list(plan.nodes)
    return [None]


def _request(row: LeafRow, plan: PKIPlan, member: Member | None) -> LeafRequest:
    node = member.name if member else ""
    orgs = tuple(org.format(admin_group=plan.admin_group) for org in row.orgs)
    profile = CertProfile(
        cn=row.cn.format(node=node),
        orgs=orgs,
        key_usages=row.key_usages,
        ext_key_usages=row.ext_key_usages,
        sans=normalise_sans(SAN_RULES[row.sans](plan, member)),
    )
    return LeafRequest(row.name.format(node=node), row.ca, profile)


def leaf_requests(plan: PKIPlan) -> list[LeafRequest]:
    """Every leaf certificate ``plan`` needs, in table order (per-host rows in host order).

    Without ``plan.etcd_pki`` no row signed by the etcd CA is issued.
    """
    rows = [row for row in LEAVES if plan.etcd_pki or row.ca != ETCD_CA]
    return [_request(row, plan, member) for row in rows for member in _members(plan, row.scope)]


def host_stem(name: str) -> str | None:
    """Where a local item goes on its host, without ``.crt``/``.key``; None if only embedded.

    ``etcd/e1-server`` -> ``/etc/kubernetes/pki/etcd/server``, ``kubelet/w1-serving`` ->
    ``/var/lib/kubelet/pki/kubelet``; client certificates of ``clients/`` and
    ``kubelet/<node>-client`` live inside kubeconfigs only.
    """
    folder, _, base = name.rpartition("/")
    if folder == "etcd" and base.endswith(("-server", "-peer")):
        return f"{ETCD_PKI}/{base.rsplit('-', 1)[1]}"
    if folder == "kubelet":
        return f"{KUBELET_DIR}/pki/kubelet" if base.endswith("-serving") else None
    if folder == "clients":
        return None
    return f"{KUBERNETES_PKI}/{name}"
