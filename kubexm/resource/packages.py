"""OS packages per host, grouped by OS and arch (names per apt or dnf/yum family).

The package table is ``data/packages.yaml``. Without facts the OS of a host is unknown: the
family of ``spec.system.packageManager`` is used, and without that both families are listed
(``os_id`` is then the family, ``debian`` or ``rhel``, and ``os_version`` is empty).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from kubexm.apis.v1alpha1.hosts import Host
from kubexm.common import roles
from kubexm.common import types as t
from kubexm.errors import ArtifactError

from .bom import load_data
from .model import OSPackageSet
from .scope import Scope

# host name -> (os_id, os_version) as gathered from /etc/os-release
OSTargets = Mapping[str, tuple[str, str]]


@functools.cache
def load_package_table() -> Mapping[str, Any]:
    """``data/packages.yaml``; cached."""
    data: Mapping[str, Any] = load_data("packages.yaml")
    return data


def family_of(os_id: str) -> str:
    """``debian`` or ``rhel`` for an ``/etc/os-release`` ID; ArtifactError when unknown."""
    for family, entry in load_package_table()["families"].items():
        if os_id in entry["os_ids"]:
            return str(family)
    raise ArtifactError(
        f"no package names known for OS {os_id!r}",
        "set spec.system.packageManager, or install the base packages yourself",
    )


def package_names(family: str, logical: Iterable[str]) -> list[str]:
    """The family's names for logical package names (``conntrack`` -> ``conntrack-tools``)."""
    names: Mapping[str, str] = load_package_table()["families"][family]["names"]
    return [names[item] for item in logical]


def _logical_for(scope: Scope, host: Host) -> list[str]:
    table = load_package_table()
    wanted: list[str] = list(table["base"])
    kind = scope.cluster.lb_kind
    host_roles = scope.cluster.roles_of(host.name)
    on_lb_host = kind in t.LB_KINDS_ON_LB_HOSTS and roles.ROLE_LOADBALANCER in host_roles
    # Binary mode runs the worker-local proxy under systemd from the distribution package.
    worker_proxy = (
        scope.is_binary_mode
        and kind in t.LB_KINDS_WORKER_LOCAL
        and roles.ROLE_WORKER in host_roles
        and roles.ROLE_MASTER not in host_roles
    )
    if on_lb_host or worker_proxy:
        wanted.extend(table["load_balancer"][kind])
    return wanted


def _targets_of(scope: Scope, host: Host, os_targets: OSTargets | None) -> list[tuple[str, str]]:
    if os_targets and host.name in os_targets:
        return [os_targets[host.name]]
    manager = scope.cluster.spec.system.package_manager
    if manager:
        return [(str(load_package_table()["package_managers"][manager]), "")]
    return [(family, "") for family in load_package_table()["families"]]


def _extra(scope: Scope, family: str) -> list[str]:
    system = scope.cluster.spec.system
    return list(system.debs if family == "debian" else system.rpms)


def os_package_sets(scope: Scope, os_targets: OSTargets | None = None) -> list[OSPackageSet]:
    """One set per (os, version, arch) over every host of the inventory, sorted.

    ``os_targets`` maps host names to their gathered OS; hosts it does not name fall back
    as the module docstring says. Raises ArtifactError for an OS with no package names.
    """
    grouped: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    # A valid config has every host in some role group, so every host needs the base set.
    for host in scope.cluster.spec.hosts:
        for os_id, os_version in _targets_of(scope, host, os_targets):
            family = family_of(os_id)
            names = package_names(family, _logical_for(scope, host)) + _extra(scope, family)
            for arch in scope.arches_of([host]):
                grouped[(os_id, os_version, arch)].update(names)
    return [
        OSPackageSet(os_id, os_version, arch, tuple(sorted(names)))
        for (os_id, os_version, arch), names in sorted(grouped.items())
    ]
