"""``spec.kubernetes.containerRuntime``: a union discriminated by ``type``.

Only the block matching ``type`` may be present (``containerd``, ``docker``, ``crio``,
``isulad``); another block is an unknown key of that variant.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BeforeValidator,
    Discriminator,
    Field,
    SecretStr,
    Tag,
)

from kubexm.common import paths
from kubexm.common import types as t

from .base import KxModel, check_abs_path, check_cidrs, check_host_port, check_url, normalise

Url = Annotated[str, AfterValidator(check_url)]
HostPort = Annotated[str, AfterValidator(check_host_port)]
Cidr = Annotated[str, AfterValidator(check_cidrs)]
CgroupDriver = Literal["systemd", "cgroupfs"]


def _cgroup(value: Any) -> Any:
    """``useSystemdCgroup`` historically held a bool; map it to the driver name."""
    if isinstance(value, bool):
        return "systemd" if value else "cgroupfs"
    return value


class RegistryAuth(KxModel):
    """Credentials for one registry: user+password, base64 ``auth``, or an identity token."""

    username: str | None = None
    password: SecretStr | None = None
    auth: SecretStr | None = None
    identity_token: SecretStr | None = None


class RegistryTLS(KxModel):
    """TLS settings for one registry."""

    insecure_skip_verify: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None


class RegistryHostConfig(KxModel):
    """Per-registry auth and TLS for containerd."""

    auth: RegistryAuth | None = None
    tls: RegistryTLS | None = None


class Mirror(KxModel):
    """Mirror endpoints for one registry host."""

    endpoints: Annotated[list[Url], Field(min_length=1)]


class ContainerdRegistry(KxModel):
    """containerd registry mirrors and per-host configs."""

    mirrors: dict[HostPort, Mirror] = Field(default_factory=dict)
    configs: dict[HostPort, RegistryHostConfig] = Field(default_factory=dict)


class ContainerdConfig(KxModel):
    """containerd settings (config.toml)."""

    version: str | None = None
    endpoint: str = paths.CONTAINERD_SOCKET
    registry: ContainerdRegistry = Field(default_factory=ContainerdRegistry)
    cgroup_driver: Annotated[CgroupDriver, BeforeValidator(_cgroup)] = Field(
        default="systemd",
        validation_alias=AliasChoices("useSystemdCgroup", "cgroupDriver"),
        serialization_alias="useSystemdCgroup",
    )
    extra_toml_config: str | None = None
    config_path: str = paths.CONTAINERD_CONFIG
    disabled_plugins: list[str] = Field(default_factory=list)
    required_plugins: list[str] = Field(default_factory=lambda: ["io.containerd.grpc.v1.cri"])
    imports: list[str] = Field(default_factory=list)
    root: Annotated[str, AfterValidator(check_abs_path)] = paths.CONTAINERD_ROOT
    state: Annotated[str, AfterValidator(check_abs_path)] = paths.CONTAINERD_STATE
    pause: str | None = None


class AddressPool(KxModel):
    """A docker default address pool."""

    base: Cidr
    size: Annotated[int, Field(ge=1, le=32)]


class DockerRuntimeBinary(KxModel):
    """An extra OCI runtime for docker."""

    path: Annotated[str, Field(min_length=1)]
    runtime_args: list[str] = Field(default_factory=list)


class DockerAuth(KxModel):
    """docker login credentials."""

    username: str | None = None
    password: SecretStr | None = None
    auth: SecretStr | None = None


def _not_tmp(value: str) -> str:
    if value.rstrip("/") in ("/tmp", "/var/tmp"):
        raise ValueError(f"{value!r} is cleared on reboot; choose a persistent directory")
    return check_abs_path(value)


class DockerConfig(KxModel):
    """docker settings (daemon.json) plus the cri-dockerd shim."""

    version: str | None = None
    endpoint: str = paths.DOCKER_SOCKET
    registry_mirrors: list[Url] = Field(default_factory=list)
    insecure_registries: list[HostPort] = Field(default_factory=list)
    data_root: Annotated[str, AfterValidator(_not_tmp)] = paths.DOCKER_DATA_ROOT
    exec_opts: list[str] = Field(default_factory=list)
    log_driver: Literal["json-file", "journald", "syslog", "fluentd", "none"] = "json-file"
    log_opts: dict[str, str] = Field(default_factory=lambda: {"max-size": "100m", "max-file": "5"})
    bip: Cidr | None = None
    fixed_cidr: Cidr | None = Field(default=None, alias="fixedCIDR")
    default_address_pools: list[AddressPool] = Field(default_factory=list)
    experimental: bool = False
    ip_tables: bool = True
    ip_masq: bool = True
    storage_driver: str | None = None
    storage_opts: list[str] = Field(default_factory=list)
    default_runtime: str | None = None
    runtimes: dict[str, DockerRuntimeBinary] = Field(default_factory=dict)
    max_concurrent_downloads: Annotated[int, Field(gt=0)] = 3
    max_concurrent_uploads: Annotated[int, Field(gt=0)] = 5
    bridge: str = "docker0"
    cgroup_driver: CgroupDriver = "systemd"
    live_restore: bool = True
    install_cri_dockerd: bool = Field(default=True, alias="installCRIDockerd")
    cri_dockerd_version: str | None = None
    extra_json_config: dict[str, Any] = Field(default_factory=dict)
    auths: dict[HostPort, DockerAuth] = Field(default_factory=dict)
    pause: str | None = None


class CrioRegistryEntry(KxModel):
    """One registries.conf entry."""

    prefix: str | None = None
    location: str | None = None
    insecure: bool = False
    blocked: bool = False


class CrioRegistries(KxModel):
    """cri-o registries.conf settings."""

    unqualified_search_registries: list[str] = Field(
        default_factory=lambda: ["docker.io", "quay.io"]
    )
    registries: list[CrioRegistryEntry] = Field(default_factory=list)


class CrioConfig(KxModel):
    """cri-o settings (crio.conf)."""

    version: str | None = None
    endpoint: str = paths.CRIO_SOCKET
    conmon: str | None = None
    cgroup_manager: CgroupDriver = "systemd"
    storage_driver: str | None = None
    storage_option: list[str] = Field(default_factory=list)
    log_level: Literal["fatal", "panic", "error", "warn", "info", "debug"] = "warn"
    log_filter: str | None = None
    manage_network: bool = False
    network_dir: str = paths.CNI_CONF_DIR
    plugin_dirs: list[str] = Field(default_factory=lambda: [paths.CNI_BIN_DIR])
    registry: CrioRegistries = Field(default_factory=CrioRegistries)
    extra_toml_config: str | None = None
    root: str = paths.CRIO_ROOT
    runroot: str = paths.CRIO_RUNROOT
    auths: dict[HostPort, DockerAuth] = Field(default_factory=dict)
    pause: str | None = None


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class IsulaConfig(KxModel):
    """iSulad settings (daemon.json); its keys are kebab-case like the daemon's own file."""

    model_config = KxModel.model_config | {"alias_generator": _kebab}

    version: str | None = None
    endpoint: str = paths.ISULAD_SOCKET
    data_root: str = paths.ISULAD_DATA_ROOT
    storage_driver: str | None = None
    storage_opts: list[str] = Field(default_factory=list)
    registry_mirrors: list[str] = Field(default_factory=list)
    insecure_registries: list[str] = Field(default_factory=list)
    auths: dict[HostPort, DockerAuth] = Field(default_factory=dict)
    cgroup_parent: str | None = None
    cgroup_manager: CgroupDriver = Field(default="systemd", alias="cgroupManager")
    log_level: Literal["debug", "info", "warn", "error", "fatal"] = "info"
    log_driver: str = "json-file"
    network_plugin: str | None = None
    cni_conf_dir: str = paths.CNI_CONF_DIR
    cni_bin_dir: str = paths.CNI_BIN_DIR
    pause: str | None = None


def _runtime_type(value: Any) -> Any:
    return normalise(value, t.RUNTIME_ALIASES)


RuntimeType = BeforeValidator(_runtime_type)


class ContainerdRuntime(KxModel):
    """containerd (the default)."""

    type: Annotated[Literal["containerd"], RuntimeType] = "containerd"
    version: str | None = None
    containerd: ContainerdConfig = Field(default_factory=ContainerdConfig)


class DockerRuntime(KxModel):
    """docker with cri-dockerd."""

    type: Annotated[Literal["docker"], RuntimeType]
    version: str | None = None
    docker: DockerConfig = Field(default_factory=DockerConfig)


class CrioRuntime(KxModel):
    """CRI-O (``crio`` is accepted for ``cri-o``)."""

    type: Annotated[Literal["cri-o"], RuntimeType]
    version: str | None = None
    crio: CrioConfig = Field(default_factory=CrioConfig)


class IsulaRuntime(KxModel):
    """iSulad (``isulad`` is accepted for ``isula``)."""

    type: Annotated[Literal["isula"], RuntimeType]
    version: str | None = None
    isulad: IsulaConfig = Field(default_factory=IsulaConfig)


def runtime_tag(value: Any) -> str | None:
    """The discriminator: the canonical ``type``, ``containerd`` when it is not set."""
    if isinstance(value, dict):
        raw = value.get("type")
        return str(normalise(raw, t.RUNTIME_ALIASES)) if raw is not None else t.RUNTIME_CONTAINERD
    return getattr(value, "type", None)


ContainerRuntime = Annotated[
    Annotated[ContainerdRuntime, Tag(t.RUNTIME_CONTAINERD)]
    | Annotated[DockerRuntime, Tag(t.RUNTIME_DOCKER)]
    | Annotated[CrioRuntime, Tag(t.RUNTIME_CRIO)]
    | Annotated[IsulaRuntime, Tag(t.RUNTIME_ISULA)],
    Discriminator(runtime_tag),
]


def default_runtime() -> ContainerdRuntime:
    """The runtime of a config that names none."""
    return ContainerdRuntime()
