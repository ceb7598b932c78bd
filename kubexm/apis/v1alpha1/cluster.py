"""The ``Cluster`` document and the derived views later layers use.

The helpers answer questions every layer asks the same way: which hosts hold a role, which
load balancer actually runs, what each host resolves the API domain to, and the SSH settings of
a host after inheriting ``spec.global``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr, model_validator

from kubexm.common import network, roles
from kubexm.common import types as t
from kubexm.common.matrix import matrix_row
from kubexm.util.cidr import nth_address, split_csv

from .addons import Addon, Gateway, HelmRepo
from .base import KxModel
from .dns import DNSSpec
from .endpoint import ControlPlaneEndpoint
from .etcd import EtcdSpec, default_etcd
from .extra import CertsSpec, ExtraSpec
from .hosts import GlobalSpec, Host, RoleGroups
from .kubernetes import KubernetesSpec
from .network import NetworkSpec, default_network
from .registry import RegistrySpec
from .storage import StorageSpec
from .system import PreflightSpec, SystemSpec

ACCEPTED_API_VERSIONS = (t.API_VERSION, *t.DEPRECATED_API_VERSIONS)


def _api_version(value: str) -> str:
    if value not in ACCEPTED_API_VERSIONS:
        raise ValueError(f"unsupported apiVersion {value!r}; use {t.API_VERSION}")
    return t.API_VERSION


class ObjectMeta(KxModel):
    """``metadata``: the cluster name names the work directory and defaults clusterName."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class ClusterSpec(KxModel):
    """Every section of the cluster; all but ``hosts`` and ``roleGroups`` have defaults."""

    hosts: list[Host] = Field(default_factory=list)
    role_groups: RoleGroups = Field(default_factory=RoleGroups)
    global_: GlobalSpec = Field(default_factory=GlobalSpec, alias="global")
    system: SystemSpec = Field(default_factory=SystemSpec)
    kubernetes: KubernetesSpec = Field(default_factory=KubernetesSpec)
    etcd: EtcdSpec = Field(default_factory=default_etcd)
    dns: DNSSpec = Field(default_factory=DNSSpec)
    network: NetworkSpec = Field(default_factory=default_network)
    control_plane_endpoint: ControlPlaneEndpoint = Field(default_factory=ControlPlaneEndpoint)
    storage: StorageSpec = Field(default_factory=StorageSpec)
    registry: RegistrySpec = Field(default_factory=RegistrySpec)
    gateway: Gateway = Field(default_factory=Gateway)
    helm_repo: HelmRepo | None = None
    addons: list[Addon] = Field(default_factory=list)
    preflight: PreflightSpec = Field(default_factory=PreflightSpec)
    extra: ExtraSpec = Field(default_factory=ExtraSpec)
    certs: CertsSpec = Field(default_factory=CertsSpec)


@dataclass(frozen=True)
class SSHCredentials:
    """How to log into one host, after inheriting ``spec.global``.

    Exactly one of ``password``, ``private_key`` and ``private_key_path`` is set in a valid
    config. ``key_field`` is the config path of the key in use (``spec.hosts[2].privateKeyPath``
    or ``spec.global.privateKey``), empty without a key. ``repr`` never shows the secret values.
    """

    host: str
    address: str
    port: int
    user: str
    password: SecretStr | None
    private_key: SecretStr | None
    private_key_path: str | None
    timeout: float
    sudo_password: SecretStr | None = None
    key_field: str = ""


@dataclass(frozen=True)
class ApiEndpoint:
    """The API endpoint as one host sees it: ``domain`` resolves to ``address`` there."""

    domain: str
    address: str
    port: int

    @property
    def server(self) -> str:
        """The URL written into kubeconfigs: ``https://<domain>:<port>``."""
        return f"https://{self.domain}:{self.port}"


class Cluster(KxModel):
    """The whole config document (``kind: Cluster``)."""

    api_version: Annotated[str, AfterValidator(_api_version)] = t.API_VERSION
    kind: Literal["Cluster"] = "Cluster"
    metadata: ObjectMeta
    spec: ClusterSpec

    @model_validator(mode="after")
    def _default_cluster_name(self) -> Cluster:
        if self.spec.kubernetes.cluster_name is None:
            self.spec.kubernetes.cluster_name = self.metadata.name
        return self

    @property
    def name(self) -> str:
        """``metadata.name``: names the work directory."""
        return self.metadata.name

    @property
    def cluster_name(self) -> str:
        """``kubernetes.clusterName`` (``metadata.name`` unless set)."""
        return self.spec.kubernetes.cluster_name or self.metadata.name

    def host(self, name: str) -> Host:
        """The host called ``name``; raises KeyError when there is none."""
        for host in self.spec.hosts:
            if host.name == name:
                return host
        raise KeyError(name)

    def hosts_in_role(self, role: str) -> list[Host]:
        """Hosts of ``role`` in roleGroups order; raises KeyError for an unknown role.

        For ``etcd`` this is the etcd role group; use ``etcd_members`` for the hosts that
        actually run etcd under the configured etcd type.
        """
        by_name = {host.name: host for host in self.spec.hosts}
        names = self.spec.role_groups.members(role)
        return [by_name[name] for name in names if name in by_name]

    def roles_of(self, name: str) -> list[str]:
        """The roles of one host, in ``roles.ROLES`` order."""
        return [role for role in roles.ROLES if name in self.spec.role_groups.members(role)]

    @property
    def masters(self) -> list[Host]:
        """The control-plane hosts."""
        return self.hosts_in_role(roles.ROLE_MASTER)

    def etcd_members(self) -> list[Host]:
        """Hosts running etcd: the etcd group (kubexm), the masters (kubeadm), none (external)."""
        if self.spec.etcd.type == t.ETCD_KUBEXM:
            return self.hosts_in_role(roles.ROLE_ETCD)
        if self.spec.etcd.type == t.ETCD_KUBEADM:
            return self.masters
        return []

    @property
    def lb_kind(self) -> str:
        """The load balancer that runs, one of ``types.LB_KINDS`` (see ``effective_lb``)."""
        return self.spec.control_plane_endpoint.effective_lb(len(self.masters))

    @property
    def support_row(self) -> str | None:
        """The support-matrix row of this config (``"9.18"``), None when unsupported."""
        return matrix_row(
            self.spec.kubernetes.type, self.spec.etcd.type, self.lb_kind, len(self.masters)
        )

    def api_endpoint_for(self, name: str) -> ApiEndpoint:
        """What host ``name`` resolves ``controlPlaneEndpoint.domain`` to, and on which port.

        VIP for kube-vip, kubexm-kh/kn and external LBs; on workers with a local
        haproxy/nginx ``127.0.0.1``, on masters their own address; with no LB the first
        master. Raises KeyError for an unknown host.
        """
        cpe = self.spec.control_plane_endpoint
        kind = self.lb_kind
        if kind in t.LB_KINDS_WITH_VIP and cpe.address:
            return ApiEndpoint(cpe.domain, cpe.address, cpe.port)
        host = self.host(name)
        is_master = roles.ROLE_MASTER in self.roles_of(name)
        if kind in t.LB_KINDS_WORKER_LOCAL:
            target = host.internal_ip if is_master else network.LOCAL_LB_ADDRESS
            return ApiEndpoint(cpe.domain, target, cpe.port)
        first = self.masters[0] if self.masters else host
        return ApiEndpoint(cpe.domain, first.internal_ip, cpe.port)

    def ssh_for(self, name: str) -> SSHCredentials:
        """SSH settings of host ``name``: its own values, else ``spec.global``.

        A host that sets any credential uses only its own credentials (a host password does
        not combine with a global key). ``sudo_password`` is inherited on its own, like the
        port and user. Raises KeyError for an unknown host.
        """
        host = self.host(name)
        glob = self.spec.global_
        own = host.password or host.private_key or host.private_key_path
        source = host if own else glob
        where = f"spec.hosts[{self.spec.hosts.index(host)}]" if own else "spec.global"
        key = "privateKey" if source.private_key else "privateKeyPath"
        has_key = source.private_key or source.private_key_path
        return SSHCredentials(
            host=host.name,
            address=host.address,
            port=host.port or glob.port,
            user=host.user or glob.user,
            password=source.password,
            private_key=source.private_key,
            private_key_path=source.private_key_path,
            timeout=host.timeout or glob.connection_timeout,
            sudo_password=host.sudo_password or glob.sudo_password,
            key_field=f"{where}.{key}" if has_key else "",
        )

    def apiserver_sans(self) -> list[str]:
        """Names and IPs the apiserver certificate must carry, without duplicates."""
        cpe = self.spec.control_plane_endpoint
        domain = self.spec.kubernetes.dns_domain
        service_cidrs = split_csv(self.spec.network.kube_service_cidr)
        sans = [
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            f"kubernetes.default.svc.{domain}",
            "localhost",
            "127.0.0.1",
            cpe.domain,
            *([cpe.address] if cpe.address else []),
            *[str(nth_address(cidr, 1)) for cidr in service_cidrs],
        ]
        for master in self.masters:
            sans.extend([master.name, *master.internal_addresses, master.address])
        sans.extend(self.spec.kubernetes.api_server.cert_extra_sans)
        return list(dict.fromkeys(sans))
