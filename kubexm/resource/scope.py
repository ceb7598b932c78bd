"""What artifact resolution reads from a config: versions in force and arches per host group.

The resolver modules share one ``Scope`` so every one of them answers "which version of X"
and "which arches need X" the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.hosts import Host
from kubexm.common import roles
from kubexm.common import types as t

from .bom import default_versions, strip_v
from .urls import normalise_arch


@dataclass(frozen=True)
class Scope:
    """One config, the zone in force, the BOM defaults and an optional arch override.

    ``versions`` holds the BOM defaults of the config's Kubernetes minor (no leading ``v``);
    ``arch_override`` replaces the hosts' arches everywhere when set.
    """

    cluster: Cluster
    zone: str
    versions: Mapping[str, str]
    arch_override: tuple[str, ...] | None = None

    @classmethod
    def build(cls, cluster: Cluster, zone: str, arches: Iterable[str] | None) -> Scope:
        """Scope of ``cluster``; raises ArtifactError for an unknown minor or arch."""
        override = None if arches is None else tuple(sorted({normalise_arch(a) for a in arches}))
        versions = default_versions(cluster.spec.kubernetes.version)
        return cls(cluster, zone, versions, override or None)

    @property
    def kubernetes_version(self) -> str:
        """The config's Kubernetes version without ``v``."""
        return strip_v(self.cluster.spec.kubernetes.version)

    def version(self, key: str, override: str | None = None) -> str:
        """``override`` from the config when set, else the BOM default ``key``."""
        return strip_v(override) if override else self.versions[key]

    def arches_of(self, hosts: Iterable[Host]) -> tuple[str, ...]:
        """Sorted arches of ``hosts`` (the override when set; empty for no hosts)."""
        found = tuple(sorted({host.arch for host in hosts}))
        if self.arch_override is not None:
            return self.arch_override if found else ()
        return found

    @property
    def masters(self) -> list[Host]:
        """The control-plane hosts."""
        return self.cluster.masters

    @property
    def workers(self) -> list[Host]:
        """Hosts in the worker role."""
        return self.cluster.hosts_in_role(roles.ROLE_WORKER)

    @property
    def nodes(self) -> list[Host]:
        """Every Kubernetes node (masters and workers), each once."""
        unique = {host.name: host for host in [*self.masters, *self.workers]}
        return list(unique.values())

    @property
    def all_arches(self) -> tuple[str, ...]:
        """Arches of every host of the inventory (or the override)."""
        return self.arches_of(self.cluster.spec.hosts)

    @property
    def is_binary_mode(self) -> bool:
        """True when the control plane runs as binaries under systemd (``type: kubexm``)."""
        return self.cluster.spec.kubernetes.type == t.KUBERNETES_KUBEXM
