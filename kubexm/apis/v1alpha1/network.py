"""``spec.network``: pod and service CIDRs plus the CNI, a union discriminated by ``plugin``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AliasChoices, BeforeValidator, Discriminator, Field, Tag

from kubexm.common import network, ports
from kubexm.common import types as t

from .base import KxModel, check_cidrs, check_ip, normalise
from .sources import AddonSource

Cidr = Annotated[str, AfterValidator(check_cidrs)]
Mode = Literal["Always", "CrossSubnet", "Never"]
Plugin = BeforeValidator(lambda v: normalise(v, t.CNI_ALIASES))


def _sources() -> Any:
    # Older examples wrote `source`; `sources` is canonical.
    return Field(default=None, validation_alias=AliasChoices("sources", "source"))


class CalicoNetworking(KxModel):
    """Encapsulation and MTU."""

    ipip_mode: Mode = "Always"
    vxlan_mode: Mode = "Never"
    veth_mtu: Annotated[int, Field(ge=60, le=65535)] | None = Field(default=None, alias="vethMTU")
    bgp: dict[str, bool] = Field(default_factory=lambda: {"enabled": False})


class CalicoTypha(KxModel):
    """Typha fan-out proxy."""

    enabled: bool = True
    replicas: Annotated[int, Field(ge=0)] = 2
    node_selector: dict[str, str] = Field(default_factory=dict)


class CalicoPool(KxModel):
    """One Calico IP pool."""

    name: str | None = None
    cidr: Cidr
    encapsulation: Literal["IPIP", "IPIPCrossSubnet", "VXLAN", "VXLANCrossSubnet", "None"] = "IPIP"
    nat_outgoing: bool = True
    block_size: Annotated[int, Field(ge=20, le=32)] = network.CALICO_BLOCK_SIZE
    disabled: bool = False


class CalicoIPAM(KxModel):
    """IP pools; without pools one is created from the pod CIDR."""

    auto_create_pools: bool = True
    pools: list[CalicoPool] = Field(default_factory=list)


class CalicoFelix(KxModel):
    """Felix agent settings."""

    log_severity_screen: Literal["Debug", "Info", "Warning", "Error", "Fatal"] = "Info"


class CalicoConfig(KxModel):
    """Calico settings."""

    networking: CalicoNetworking = Field(default_factory=CalicoNetworking)
    typha: CalicoTypha = Field(default_factory=CalicoTypha)
    ipam: CalicoIPAM = Field(default_factory=CalicoIPAM)
    felix: CalicoFelix = Field(default_factory=CalicoFelix)
    sources: AddonSource | None = _sources()


class FlannelVxlan(KxModel):
    """VXLAN backend options."""

    vni: Annotated[int, Field(ge=0)] = 1
    port: Annotated[int, Field(ge=ports.PORT_MIN, le=ports.PORT_MAX)] = ports.FLANNEL_VXLAN
    direct_routing: bool = False


class FlannelBackend(KxModel):
    """The flannel backend; only the block of the chosen type may be set."""

    type: Literal["vxlan", "host-gw", "udp", "ipsec"] = "vxlan"
    vxlan: FlannelVxlan | None = None
    host_gw: dict[str, bool] | None = Field(default=None, alias="host-gw")
    ipsec: dict[str, str] | None = None


class FlannelConfig(KxModel):
    """flannel settings."""

    backend: FlannelBackend = Field(default_factory=FlannelBackend)
    sources: AddonSource | None = _sources()


class CiliumNetworking(KxModel):
    """Datapath settings."""

    tunneling_mode: Literal["vxlan", "geneve", "disabled"] = "vxlan"
    ipam_mode: Literal["cluster-pool", "kubernetes"] = "cluster-pool"
    enable_bgp_control_plane: bool = Field(default=False, alias="enableBGPControlPlane")


class CiliumKubeProxy(KxModel):
    """kube-proxy replacement."""

    replacement: Literal["probe", "strict", "disabled"] = "strict"
    enable_bpf_masquerade: bool = Field(default=True, alias="enableBPFMasquerade")


class CiliumHubble(KxModel):
    """Hubble observability; ``enableUI`` needs ``enable``."""

    enable: bool = False
    enable_ui: bool = Field(default=False, alias="enableUI")


class CiliumSecurity(KxModel):
    """Identity allocation and encryption."""

    identity_allocation_mode: Literal["crd", "kvstore"] = "crd"
    enable_encryption: bool = False


class CiliumPerformance(KxModel):
    """Performance features."""

    enable_bandwidth_manager: bool = False


class CiliumConfig(KxModel):
    """Cilium settings."""

    network: CiliumNetworking = Field(default_factory=CiliumNetworking)
    kube_proxy: CiliumKubeProxy = Field(default_factory=CiliumKubeProxy)
    hubble: CiliumHubble = Field(default_factory=CiliumHubble)
    security: CiliumSecurity = Field(default_factory=CiliumSecurity)
    performance: CiliumPerformance = Field(default_factory=CiliumPerformance)
    sources: AddonSource | None = _sources()


class KubeOvnNetworking(KxModel):
    """Tunnel settings."""

    tunnel_type: Literal["geneve", "vxlan"] = "geneve"
    pod_gateway: Annotated[str, AfterValidator(check_ip)] | None = None
    mtu: Annotated[int, Field(ge=68, le=65535)] = 1500


class KubeOvnController(KxModel):
    """Controller subnets; they default to the reference constants."""

    join_cidr: Cidr = Field(default=network.KUBE_OVN_JOIN_CIDR, alias="joinCIDR")
    node_switch_cidr: Cidr = Field(
        default=network.KUBE_OVN_NODE_SWITCH_CIDR, alias="nodeSwitchCIDR"
    )
    pod_default_subnet_cidr: Cidr = Field(
        default=network.KUBE_OVN_POD_SUBNET_CIDR, alias="podDefaultSubnetCIDR"
    )


class KubeOvnFeatures(KxModel):
    """Optional Kube-OVN features."""

    enable_ssl: bool = Field(default=True, alias="enableSSL")
    enable_vpc_nat_gateway: bool = Field(default=False, alias="enableVPCNATGateway")
    enable_subnet_qos: bool = Field(default=False, alias="enableSubnetQoS")


class KubeOvnConfig(KxModel):
    """Kube-OVN settings."""

    networking: KubeOvnNetworking = Field(default_factory=KubeOvnNetworking)
    controller: KubeOvnController = Field(default_factory=KubeOvnController)
    advanced_features: KubeOvnFeatures = Field(default_factory=KubeOvnFeatures)
    sources: AddonSource | None = _sources()


class HybridnetInstallation(KxModel):
    """Whether kubexm installs hybridnet, and from where."""

    enabled: bool = False
    image_registry: str | None = None


class HybridnetDefaultNetwork(KxModel):
    """The network created at install time."""

    create_on_init: bool = True
    type: Literal["Underlay", "Overlay"] = "Overlay"
    default_overlay_subnet_cidr: Cidr | None = Field(
        default=network.HYBRIDNET_OVERLAY_CIDR, alias="defaultOverlaySubnetCIDR"
    )
    default_underlay_subnet_name: str | None = None


class HybridnetFeatures(KxModel):
    """Optional hybridnet features."""

    enable_network_policy: bool = True
    enable_multi_cluster: bool = False


class HybridnetConfig(KxModel):
    """Hybridnet settings."""

    installation: HybridnetInstallation = Field(default_factory=HybridnetInstallation)
    default_network: HybridnetDefaultNetwork = Field(default_factory=HybridnetDefaultNetwork)
    features: HybridnetFeatures = Field(default_factory=HybridnetFeatures)
    sources: AddonSource | None = _sources()


class MultusInstallation(KxModel):
    """Whether kubexm installs Multus."""

    enabled: bool = False
    namespace: str = "kube-system"
    image: str | None = None


class Multus(KxModel):
    """Multus meta-plugin, off unless enabled."""

    installation: MultusInstallation = Field(default_factory=MultusInstallation)


class _NetworkBase(KxModel):
    kube_pods_cidr: Cidr = Field(default=network.POD_CIDR, alias="kubePodsCIDR")
    kube_service_cidr: Cidr = Field(default=network.SERVICE_CIDR, alias="kubeServiceCIDR")
    multus: Multus = Field(default_factory=Multus)


class CalicoNetwork(_NetworkBase):
    """Calico (the default)."""

    plugin: Annotated[Literal["calico"], Plugin] = "calico"
    calico: CalicoConfig = Field(default_factory=CalicoConfig)


class FlannelNetwork(_NetworkBase):
    """flannel."""

    plugin: Annotated[Literal["flannel"], Plugin]
    flannel: FlannelConfig = Field(default_factory=FlannelConfig)


class CiliumNetwork(_NetworkBase):
    """Cilium."""

    plugin: Annotated[Literal["cilium"], Plugin]
    cilium: CiliumConfig = Field(default_factory=CiliumConfig)


class KubeOvnNetwork(_NetworkBase):
    """Kube-OVN."""

    plugin: Annotated[Literal["kube-ovn"], Plugin]
    kubeovn: KubeOvnConfig = Field(default_factory=KubeOvnConfig)


class HybridnetNetwork(_NetworkBase):
    """Hybridnet."""

    plugin: Annotated[Literal["hybridnet"], Plugin]
    hybridnet: HybridnetConfig = Field(default_factory=HybridnetConfig)


def network_tag(value: Any) -> str | None:
    """The discriminator: the canonical ``plugin``, ``calico`` when it is not set."""
    if isinstance(value, dict):
        raw = value.get("plugin")
        return str(normalise(raw, t.CNI_ALIASES)) if raw is not None else t.CNI_CALICO
    return getattr(value, "plugin", None)


NetworkSpec = Annotated[
    Annotated[CalicoNetwork, Tag(t.CNI_CALICO)]
    | Annotated[FlannelNetwork, Tag(t.CNI_FLANNEL)]
    | Annotated[CiliumNetwork, Tag(t.CNI_CILIUM)]
    | Annotated[KubeOvnNetwork, Tag(t.CNI_KUBE_OVN)]
    | Annotated[HybridnetNetwork, Tag(t.CNI_HYBRIDNET)],
    Discriminator(network_tag),
]


def default_network() -> CalicoNetwork:
    """The network of a config that names none."""
    return CalicoNetwork()
