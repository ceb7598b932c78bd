"""Rules on hosts, role groups and SSH credentials (config-model §2 rules 3–12, 34)."""

from __future__ import annotations

import re

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.hosts import GlobalSpec, Host
from kubexm.common import roles
from kubexm.common import types as t
from kubexm.util.cidr import is_ip
from kubexm.util.suggest import did_you_mean

from .rules_common import Findings, plural

_CREDENTIALS = ("password", "privateKey", "privateKeyPath")
# A host name becomes the node name, a certificate SAN and a file name: a lowercase RFC 1123
# DNS subdomain keeps it valid in all three (and keeps "/" and ".." out of paths).
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_NAME_MAX = 253
_LABEL_MAX = 63


def check(cluster: Cluster, found: Findings) -> None:
    """Run every host and role rule, recording problems and warnings in ``found``."""
    hosts = cluster.spec.hosts
    if not hosts:
        found.error("spec.hosts", "no hosts are defined", "add at least one host with a name")
        return
    _names(hosts, found)
    _internal_ips(hosts, found)
    _unique(hosts, found)
    _role_members(cluster, found)
    _hosts_without_role(cluster, found)
    _role_counts(cluster, found)
    _credentials(cluster, found)


def is_node_name(name: str) -> bool:
    """Whether ``name`` is a lowercase RFC 1123 DNS subdomain (a valid Kubernetes node name)."""
    labels = name.split(".")
    return len(name) <= _NAME_MAX and all(
        len(label) <= _LABEL_MAX and _LABEL.fullmatch(label) for label in labels
    )


def _names(hosts: list[Host], found: Findings) -> None:
    for index, host in enumerate(hosts):
        if not is_node_name(host.name):
            found.error(
                f"spec.hosts[{index}].name",
                f"{host.name!r} is not a valid node name",
                "use lowercase letters, digits, '-' and '.' (start and end each dot-separated"
                " part with a letter or digit; at most 63 characters a part, 253 in all),"
                " e.g. node-1",
            )


def _internal_ips(hosts: list[Host], found: Findings) -> None:
    for index, host in enumerate(hosts):
        if host.internal_address is None and not is_ip(host.address):
            found.error(
                f"spec.hosts[{index}].internalAddress",
                f"host {host.name!r} has the DNS name {host.address!r} as address and no IP",
                "set internalAddress to the host's IP: etcd peers, apiserver certificates and"
                " /etc/hosts need an IP address",
            )


def _unique(hosts: list[Host], found: Findings) -> None:
    for attr, key in (("name", "name"), ("address", "address")):
        first: dict[str, int] = {}
        for index, host in enumerate(hosts):
            value = str(getattr(host, attr))
            if value in first:
                found.error(
                    f"spec.hosts[{index}].{key}",
                    f"duplicate {key} {value!r} (also spec.hosts[{first[value]}])",
                    f"give every host its own {key}",
                )
            else:
                first[value] = index


def _role_members(cluster: Cluster, found: Findings) -> None:
    names = [host.name for host in cluster.spec.hosts]
    for role in roles.ROLES:
        for member in cluster.spec.role_groups.members(role):
            if member in names:
                continue
            guess = did_you_mean(member, names)
            hint = f"did you mean {guess!r}?" if guess else "add it to spec.hosts or remove it"
            found.error(
                f"spec.roleGroups.{role}", f"host {member!r} is not defined in spec.hosts", hint
            )


def _hosts_without_role(cluster: Cluster, found: Findings) -> None:
    for index, host in enumerate(cluster.spec.hosts):
        if not cluster.roles_of(host.name):
            found.error(
                f"spec.hosts[{index}]",
                f"host {host.name!r} is in no role group",
                "add it to spec.roleGroups (master, worker, etcd, ...) or remove it",
            )


def _role_counts(cluster: Cluster, found: Findings) -> None:
    groups = cluster.spec.role_groups
    masters = len(groups.master)
    if masters == 0:
        found.error("spec.roleGroups.master", "no master is defined", "list at least one host")
    elif masters > 1 and masters % 2 == 0:
        found.warn("spec.roleGroups.master", f"{plural(masters, 'master')}: use an odd count")
    if len(groups.registry) > 1:
        found.error("spec.roleGroups.registry", "only one registry host is allowed", "keep one")
    etcd_type = cluster.spec.etcd.type
    if etcd_type == t.ETCD_KUBEXM and not groups.etcd:
        found.error(
            "spec.roleGroups.etcd",
            "etcd.type kubexm needs hosts in the etcd group",
            "list the etcd hosts (often the masters), or set etcd.type: kubeadm",
        )
    elif etcd_type == t.ETCD_KUBEXM and len(groups.etcd) % 2 == 0:
        found.warn(
            "spec.roleGroups.etcd", f"{plural(len(groups.etcd), 'etcd member')}: odd is safer"
        )
    elif etcd_type != t.ETCD_KUBEXM and groups.etcd:
        found.warn("spec.roleGroups.etcd", f"ignored with etcd.type {etcd_type}")


def _own_credentials(item: Host | GlobalSpec) -> list[str]:
    values = (item.password, item.private_key, item.private_key_path)
    return [key for key, value in zip(_CREDENTIALS, values, strict=True) if value]


def _credentials(cluster: Cluster, found: Findings) -> None:
    global_set = _own_credentials(cluster.spec.global_)
    if len(global_set) > 1:
        found.error(
            "spec.global",
            f"{' and '.join(global_set)} are both set",
            "keep one of password, privateKey, privateKeyPath",
        )
    for index, host in enumerate(cluster.spec.hosts):
        own = _own_credentials(host)
        if len(own) > 1:
            found.error(
                f"spec.hosts[{index}]",
                f"{' and '.join(own)} are both set",
                "keep one of password, privateKey, privateKeyPath",
            )
        elif not own and not global_set and host.type == "ssh":
            found.error(
                f"spec.hosts[{index}]",
                f"host {host.name!r} has no SSH credentials",
                "set password, privateKey or privateKeyPath here or in spec.global",
            )
