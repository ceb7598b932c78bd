"""``spec.kubernetes``: deployment type, version and per-component settings."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from kubexm.common import network, paths, ports
from kubexm.common.versions import default_kubernetes_version
from kubexm.util.version import parse_version

from .base import KxModel, check_abs_path, check_domain
from .runtime import ContainerRuntime, default_runtime

_PERCENT = re.compile(r"^(\d+(\.\d+)?)%$")


def _version(value: str) -> str:
    """Normalise to ``vMAJOR.MINOR.PATCH``; a bare minor or a garbage string is an error."""
    parsed = parse_version(value)
    if parsed.patch is None:
        raise ValueError(f"{value!r} has no patch number; write it like v1.36.4")
    return parsed.with_v()


def _port_range(value: str) -> str:
    start, sep, end = value.partition("-")
    if not sep or not (start.isdigit() and end.isdigit()):
        raise ValueError(f"{value!r} is not a port range like 30000-32767")
    if not (ports.PORT_MIN <= int(start) < int(end) <= ports.PORT_MAX):
        raise ValueError(f"{value!r} is not a valid range; both ends 1-65535, start below end")
    return value


def _eviction(values: dict[str, str]) -> dict[str, str]:
    for key, text in values.items():
        match = _PERCENT.match(text)
        if match and not 0 <= float(match.group(1)) <= 100:
            raise ValueError(f"{key}: {text!r} is out of range; use 0% to 100%")
        if not text:
            raise ValueError(f"{key}: the value is empty")
    return values


def _not_empty_values(values: dict[str, str]) -> dict[str, str]:
    for key, text in values.items():
        if not str(text).strip():
            raise ValueError(f"{key}: the value is empty")
    return values


Version = Annotated[str, AfterValidator(_version)]
AbsPath = Annotated[str, AfterValidator(check_abs_path)]
FeatureGates = dict[str, bool]
ExtraArgs = dict[
    str,
    Annotated[str, BeforeValidator(lambda v: str(v).lower() if isinstance(v, bool) else str(v))],
]


class Audit(KxModel):
    """API server audit logging."""

    enabled: bool = False
    log_path: AbsPath = paths.AUDIT_LOG
    policy_file: AbsPath = paths.AUDIT_POLICY
    policy_file_content: str | None = None
    max_age: Annotated[int, Field(ge=0)] = 30
    max_backups: Annotated[int, Field(ge=0)] = 10
    max_size: Annotated[int, Field(ge=0)] = 100


class ApiServer(KxModel):
    """kube-apiserver settings."""

    cert_extra_sans: list[str] = Field(default_factory=list)
    service_node_port_range: Annotated[str, AfterValidator(_port_range)] = (
        ports.SERVICE_NODE_PORT_RANGE
    )
    audit: Audit = Field(default_factory=Audit)
    auto_renew_certs: bool = True
    feature_gates: FeatureGates = Field(default_factory=dict)
    extra_args: ExtraArgs = Field(default_factory=dict)
    authorization_modes: list[str] = Field(default_factory=lambda: ["Node", "RBAC"])
    admission_plugins: list[str] = Field(default_factory=lambda: ["NodeRestriction"])
    bind_address: str = "0.0.0.0"
    allow_privileged: bool = True
    etcd_prefix: str = "/registry"
    tls_cipher_suites: list[str] = Field(default_factory=list)
    # Encrypt Secrets at rest (binary mode writes an EncryptionConfiguration; the key is
    # generated once per cluster in the work dir's pki/).
    encrypt_secrets: bool = False


class ControllerManager(KxModel):
    """kube-controller-manager settings."""

    node_cidr_mask_size: Annotated[int, Field(ge=16, le=28)] = network.NODE_CIDR_MASK_SIZE
    node_cidr_mask_size_ipv6: Annotated[int, Field(ge=64, le=124)] = (
        network.NODE_CIDR_MASK_SIZE_IPV6
    )
    pod_eviction_timeout: str | None = None
    node_monitor_grace_period: str | None = None
    feature_gates: FeatureGates = Field(default_factory=dict)
    extra_args: ExtraArgs = Field(default_factory=dict)


class Scheduler(KxModel):
    """kube-scheduler settings."""

    feature_gates: FeatureGates = Field(default_factory=dict)
    extra_args: ExtraArgs = Field(default_factory=dict)


def _reserved() -> dict[str, str]:
    return {"cpu": "200m", "memory": "250Mi"}


Reserved = Annotated[dict[str, str], AfterValidator(_not_empty_values)]
Eviction = Annotated[dict[str, str], AfterValidator(_eviction)]


class Kubelet(KxModel):
    """kubelet settings; ``configuration`` is merged into the rendered KubeletConfiguration."""

    max_pods: Annotated[int, Field(gt=0)] = 110
    cgroup_driver: Literal["systemd", "cgroupfs"] = "systemd"
    cpu_manager_policy: Literal["none", "static"] = "none"
    kube_reserved: Reserved = Field(default_factory=_reserved)
    system_reserved: Reserved = Field(default_factory=_reserved)
    eviction_hard: Eviction = Field(
        default_factory=lambda: {"memory.available": "5%", "pid.available": "10%"}
    )
    eviction_soft: Eviction = Field(default_factory=dict)
    eviction_soft_grace_period: dict[str, str] = Field(default_factory=dict)
    eviction_max_pod_grace_period: Annotated[int, Field(ge=0)] = 120
    eviction_pressure_transition_period: str = "30s"
    pod_pids_limit: Annotated[int, Field(ge=-1)] = 10000
    hairpin_mode: Literal["promiscuous-bridge", "hairpin-veth", "none"] = "promiscuous-bridge"
    container_log_max_size: str = "5Mi"
    container_log_max_files: Annotated[int, Field(ge=1)] = 3
    feature_gates: FeatureGates = Field(
        default_factory=lambda: {"RotateKubeletServerCertificate": True}
    )
    extra_args: ExtraArgs = Field(default_factory=dict)
    configuration: dict[str, Any] = Field(default_factory=dict)


class KubeProxy(KxModel):
    """kube-proxy settings. ``enable: false`` when the CNI replaces kube-proxy."""

    enable: bool = True
    mode: Literal["ipvs", "iptables"] | None = None
    masquerade_all: bool = False
    feature_gates: FeatureGates = Field(default_factory=dict)
    extra_args: ExtraArgs = Field(default_factory=dict)
    configuration: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _default_mode(self) -> KubeProxy:
        # The mode defaults only when kube-proxy runs; a disabled proxy with a mode is an error
        # reported by kubexm.config, so the default must not invent one.
        if self.enable and self.mode is None:
            self.mode = "ipvs"
        return self


class Toggle(KxModel):
    """An optional node add-on that is off unless enabled."""

    enabled: bool = False


class KubernetesAddons(KxModel):
    """Node-level add-ons. NodeLocal DNS is configured in ``spec.dns.nodelocaldns`` only."""

    node_feature_discovery: Toggle = Field(default_factory=Toggle)
    kata: Toggle = Field(default_factory=Toggle)
    nvidia_runtime: Toggle = Field(default_factory=Toggle)


class KubernetesSpec(KxModel):
    """How the control plane is deployed and configured."""

    type: Literal["kubeadm", "kubexm"] = "kubeadm"
    version: Version = Field(default_factory=default_kubernetes_version)
    cluster_name: Annotated[str, Field(min_length=1)] | None = None
    dns_domain: Annotated[str, AfterValidator(check_domain)] = network.DNS_DOMAIN
    container_runtime: ContainerRuntime = Field(default_factory=default_runtime)
    api_server: ApiServer = Field(default_factory=ApiServer)
    controller_manager: ControllerManager = Field(default_factory=ControllerManager)
    scheduler: Scheduler = Field(default_factory=Scheduler)
    kubelet: Kubelet = Field(default_factory=Kubelet)
    kube_proxy: KubeProxy = Field(default_factory=KubeProxy)
    addons: KubernetesAddons = Field(default_factory=KubernetesAddons)
