"""Container runtime configuration files from typed settings: containerd ``config.toml``
(schema version 2 for containerd 1.x, 3 for 2.x), ``certs.d/<registry>/hosts.toml`` for
mirrors, docker ``daemon.json`` and ``/etc/crictl.yaml``. Render functions are pure; the
``ensure_*`` functions write only when the rendered text differs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import tomlkit

from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult
from kubexm.util.merge import deep_merge
from kubexm.util.tomlio import load_toml_plain
from kubexm.util.version import parse_version

CONTAINERD_CONFIG = "/etc/containerd/config.toml"
CERTS_DIR = "/etc/containerd/certs.d"
DOCKER_DAEMON_JSON = "/etc/docker/daemon.json"
CRICTL_YAML = "/etc/crictl.yaml"
CONTAINERD_SOCKET = "unix:///run/containerd/containerd.sock"


@dataclass(frozen=True)
class ContainerdSettings:
    """What kubexm sets in containerd's config.toml; ``extra_toml`` is merged on top."""

    version: str = "1.7.0"  # the containerd version the file is for
    root: str = "/var/lib/containerd"
    state: str = "/run/containerd"
    sandbox_image: str = "registry.k8s.io/pause:3.9"
    systemd_cgroup: bool = True
    config_path: str = CERTS_DIR
    grpc_address: str = "/run/containerd/containerd.sock"
    max_message_size: int = 16777216
    oom_score: int = -999
    max_concurrent_downloads: int = 3
    snapshotter: str = "overlayfs"
    cni_conf_dir: str = "/etc/cni/net.d"
    cni_bin_dir: str = "/opt/cni/bin"
    extra_toml: str = ""


def _runc(systemd_cgroup: bool) -> dict[str, Any]:
    return {
        "runtime_type": "io.containerd.runc.v2",
        "options": {"SystemdCgroup": systemd_cgroup},
    }


def _common(s: ContainerdSettings, schema: int) -> dict[str, Any]:
    return {
        "version": schema,
        "root": s.root,
        "state": s.state,
        "oom_score": s.oom_score,
        "grpc": {
            "address": s.grpc_address,
            "uid": 0,
            "gid": 0,
            "max_recv_message_size": s.max_message_size,
            "max_send_message_size": s.max_message_size,
        },
    }


def _plugins_v2(s: ContainerdSettings) -> dict[str, Any]:
    cri = {
        "sandbox_image": s.sandbox_image,
        "max_concurrent_downloads": s.max_concurrent_downloads,
        "containerd": {
            "snapshotter": s.snapshotter,
            "default_runtime_name": "runc",
            "runtimes": {"runc": _runc(s.systemd_cgroup)},
        },
        "cni": {"bin_dir": s.cni_bin_dir, "conf_dir": s.cni_conf_dir},
        "registry": {"config_path": s.config_path},
    }
    return {"io.containerd.grpc.v1.cri": cri}


def _plugins_v3(s: ContainerdSettings, minor: int) -> dict[str, Any]:
    # containerd 2.1 replaced cni.bin_dir by the list bin_dirs (2.0 knows only bin_dir).
    cni: dict[str, Any] = {"conf_dir": s.cni_conf_dir}
    cni.update({"bin_dirs": [s.cni_bin_dir]} if minor >= 1 else {"bin_dir": s.cni_bin_dir})
    images = {
        "snapshotter": s.snapshotter,
        "max_concurrent_downloads": s.max_concurrent_downloads,
        "pinned_images": {"sandbox": s.sandbox_image},
        "registry": {"config_path": s.config_path},
    }
    runtime = {
        "containerd": {
            "default_runtime_name": "runc",
            "runtimes": {"runc": _runc(s.systemd_cgroup)},
        },
        "cni": cni,
    }
    return {"io.containerd.cri.v1.images": images, "io.containerd.cri.v1.runtime": runtime}


def containerd_schema(version: str) -> int:
    """The config.toml schema version for a containerd release: 3 from 2.0 on, else 2."""
    return 3 if parse_version(version).major >= 2 else 2


def render_containerd_config(settings: ContainerdSettings) -> str:
    """config.toml text for ``settings``. Raises ``ValueError`` for a bad version or
    ``extra_toml`` that does not parse (``TOMLSyntaxError``)."""
    parsed = parse_version(settings.version)
    schema = containerd_schema(settings.version)
    doc = _common(settings, schema)
    if schema == 3:
        doc["plugins"] = _plugins_v3(settings, parsed.minor)
    else:
        doc["plugins"] = _plugins_v2(settings)
    if settings.extra_toml.strip():
        doc = deep_merge(doc, load_toml_plain(settings.extra_toml, source="extra_toml"))
    return "# managed by kubexm\n" + tomlkit.dumps(doc)


async def ensure_containerd_config(
    host: Host, settings: ContainerdSettings, *, path: str = CONTAINERD_CONFIG
) -> OpResult:
    """``path`` holds the config rendered from ``settings`` (restart containerd on change)."""
    return await ensure_file(host, path, render_containerd_config(settings), mode=0o644)


@dataclass(frozen=True)
class MirrorEndpoint:
    """One mirror of a registry in hosts.toml."""

    url: str
    capabilities: tuple[str, ...] = ("pull", "resolve")
    skip_verify: bool = False
    ca: str | None = None


def render_hosts_toml(server: str, mirrors: Sequence[MirrorEndpoint]) -> str:
    """``certs.d/<registry>/hosts.toml``: the upstream ``server`` plus mirrors, tried in
    order before it."""
    doc = tomlkit.document()
    doc.add("server", server)
    hosts = tomlkit.table(is_super_table=True)
    for mirror in mirrors:
        entry = tomlkit.table()
        entry.add("capabilities", list(mirror.capabilities))
        if mirror.skip_verify:
            entry.add("skip_verify", True)
        if mirror.ca:
            entry.add("ca", mirror.ca)
        hosts.add(mirror.url, entry)
    if mirrors:
        doc.add("host", hosts)
    return "# managed by kubexm\n" + tomlkit.dumps(doc)


def default_server(registry: str) -> str:
    """The upstream URL of a registry name (``docker.io`` is served by registry-1)."""
    if registry.startswith(("http://", "https://")):
        return registry
    return "https://registry-1.docker.io" if registry == "docker.io" else f"https://{registry}"


async def ensure_registry_hosts(
    host: Host,
    registry: str,
    mirrors: Sequence[MirrorEndpoint],
    *,
    server: str | None = None,
    certs_dir: str = CERTS_DIR,
) -> OpResult:
    """``<certs_dir>/<registry>/hosts.toml`` lists ``mirrors`` for ``registry``."""
    text = render_hosts_toml(server or default_server(registry), mirrors)
    return await ensure_file(host, f"{certs_dir}/{registry}/hosts.toml", text, mode=0o644)


@dataclass(frozen=True)
class DockerSettings:
    """What kubexm sets in docker's daemon.json; ``extra`` keys are merged on top."""

    cgroup_driver: str = "systemd"
    storage_driver: str = "overlay2"
    log_max_size: str = "100m"
    log_max_file: int = 3
    data_root: str | None = None
    registry_mirrors: tuple[str, ...] = ()
    insecure_registries: tuple[str, ...] = ()
    bip: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    log_driver: str = "json-file"
    log_opts: Mapping[str, str] | None = None  # replaces max-size/max-file when given
    exec_opts: tuple[str, ...] = ()  # besides native.cgroupdriver, which cgroup_driver sets


def render_docker_daemon_json(settings: DockerSettings) -> str:
    """daemon.json text (sorted keys, so the same settings always give the same bytes)."""
    driver = f"native.cgroupdriver={settings.cgroup_driver}"
    others = [o for o in settings.exec_opts if not o.startswith("native.cgroupdriver=")]
    log_opts = {"max-size": settings.log_max_size, "max-file": str(settings.log_max_file)}
    doc: dict[str, Any] = {
        "exec-opts": [driver, *others],
        "storage-driver": settings.storage_driver,
        "log-driver": settings.log_driver,
        "log-opts": dict(settings.log_opts) if settings.log_opts is not None else log_opts,
    }
    optional = {
        "data-root": settings.data_root,
        "registry-mirrors": list(settings.registry_mirrors),
        "insecure-registries": list(settings.insecure_registries),
        "bip": settings.bip,
    }
    doc.update({k: v for k, v in optional.items() if v})
    if not doc["log-opts"]:
        del doc["log-opts"]  # journald, syslog... reject json-file's options
    doc = deep_merge(doc, dict(settings.extra))
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


async def ensure_docker_daemon_json(
    host: Host, settings: DockerSettings, *, path: str = DOCKER_DAEMON_JSON
) -> OpResult:
    """``path`` holds daemon.json rendered from ``settings`` (restart docker on change)."""
    return await ensure_file(host, path, render_docker_daemon_json(settings), mode=0o644)


@dataclass(frozen=True)
class CrictlSettings:
    """crictl's client settings."""

    runtime_endpoint: str = CONTAINERD_SOCKET
    image_endpoint: str = CONTAINERD_SOCKET
    timeout: int = 10
    debug: bool = False
    pull_image_on_create: bool = False


def render_crictl_yaml(settings: CrictlSettings) -> str:
    """crictl.yaml text (a flat mapping; values are plain scalars)."""
    lines = [
        f"runtime-endpoint: {settings.runtime_endpoint}",
        f"image-endpoint: {settings.image_endpoint}",
        f"timeout: {settings.timeout}",
        f"debug: {str(settings.debug).lower()}",
        f"pull-image-on-create: {str(settings.pull_image_on_create).lower()}",
    ]
    return "\n".join(lines) + "\n"


async def ensure_crictl_yaml(
    host: Host, settings: CrictlSettings, *, path: str = CRICTL_YAML
) -> OpResult:
    """``path`` holds crictl.yaml rendered from ``settings``."""
    return await ensure_file(host, path, render_crictl_yaml(settings), mode=0o644)


# --- docker (static release) and CRI-O -------------------------------------------------------

DOCKER_SOCKET = "unix:///run/docker.sock"
CRI_DOCKERD_SOCKET = "unix:///run/cri-dockerd.sock"
CRIO_SOCKET = "unix:///run/crio/crio.sock"
CRIO_DROPIN = "/etc/crio/crio.conf.d/10-kubexm.conf"
REGISTRIES_CONF = "/etc/containers/registries.conf"
POLICY_JSON = "/etc/containers/policy.json"


@dataclass(frozen=True)
class CrioRuntimeBinary:
    """One OCI runtime CRI-O may start containers with."""

    name: str
    path: str
    root: str


@dataclass(frozen=True)
class CrioSettings:
    """What kubexm sets in its ``crio.conf.d`` drop-in; ``extra_toml`` is merged on top."""

    pause_image: str = "registry.k8s.io/pause:3.10"
    cgroup_manager: str = "systemd"
    listen: str = "/run/crio/crio.sock"
    root: str = "/var/lib/containers/storage"
    runroot: str = "/run/containers/storage"
    storage_driver: str | None = None
    storage_options: tuple[str, ...] = ()
    log_level: str = "warn"
    log_filter: str | None = None
    runtimes: tuple[CrioRuntimeBinary, ...] = ()
    monitor_path: str | None = None
    network_dir: str = "/etc/cni/net.d/"
    plugin_dirs: tuple[str, ...] = ("/opt/cni/bin/",)
    auth_file: str | None = None
    extra_toml: str = ""


def _crio_runtime_table(s: CrioSettings) -> dict[str, Any]:
    table: dict[str, Any] = {"cgroup_manager": s.cgroup_manager, "log_level": s.log_level}
    if s.log_filter:
        table["log_filter"] = s.log_filter
    if s.runtimes:
        table["default_runtime"] = s.runtimes[0].name
        runtimes: dict[str, Any] = {}
        for r in s.runtimes:
            entry = {"runtime_path": r.path, "runtime_type": "oci", "runtime_root": r.root}
            if s.monitor_path:
                entry["monitor_path"] = s.monitor_path
            runtimes[r.name] = entry
        table["runtimes"] = runtimes
    return table


def render_crio_dropin(settings: CrioSettings) -> str:
    """The drop-in text: storage, socket, cgroup manager, runtimes, pause image, CNI dirs.
    Raises ``TOMLSyntaxError`` when ``extra_toml`` does not parse."""
    s = settings
    crio: dict[str, Any] = {"root": s.root, "runroot": s.runroot}
    if s.storage_driver:
        crio["storage_driver"] = s.storage_driver
    if s.storage_options:
        crio["storage_option"] = list(s.storage_options)
    image: dict[str, Any] = {"pause_image": s.pause_image}
    if s.auth_file:
        image["global_auth_file"] = s.auth_file
    crio.update(
        {
            "api": {"listen": s.listen},
            "runtime": _crio_runtime_table(s),
            "image": image,
            "network": {"network_dir": s.network_dir, "plugin_dirs": list(s.plugin_dirs)},
        }
    )
    doc: dict[str, Any] = {"crio": crio}
    if s.extra_toml.strip():
        doc = deep_merge(doc, load_toml_plain(s.extra_toml, source="extra_toml"))
    return "# managed by kubexm\n" + tomlkit.dumps(doc)


@dataclass(frozen=True)
class RegistryEntry:
    """One ``[[registry]]`` of registries.conf: ``location`` serves ``prefix`` (a mirror
    when they differ), ``insecure`` allows plain HTTP or unverified TLS."""

    prefix: str
    location: str | None = None
    insecure: bool = False
    blocked: bool = False
    mirrors: tuple[str, ...] = ()


def render_registries_conf(
    search: Sequence[str], entries: Sequence[RegistryEntry], *, short_names: str = "permissive"
) -> str:
    """containers-registries.conf (version 2) text with ``search`` as the unqualified-search
    list (for short names) and one ``[[registry]]`` per entry."""
    doc = tomlkit.document()
    doc.add("unqualified-search-registries", list(search))
    doc.add("short-name-mode", short_names)
    if entries:
        tables = tomlkit.aot()
        for e in entries:
            table = tomlkit.table()
            table.add("prefix", e.prefix)
            table.add("location", e.location or e.prefix)
            table.add("insecure", e.insecure)
            table.add("blocked", e.blocked)
            if e.mirrors:
                mirrors = tomlkit.aot()
                for url in e.mirrors:
                    mirror = tomlkit.table()
                    mirror.add("location", url)
                    mirror.add("insecure", e.insecure)
                    mirrors.append(mirror)
                table.add("mirror", mirrors)
            tables.append(table)
        doc.add("registry", tables)
    return "# managed by kubexm\n" + tomlkit.dumps(doc)


def render_policy_json() -> str:
    """The containers signature policy CRI-O needs to pull at all: accept any image (image
    signatures are not verified; a stricter policy can replace the file)."""
    doc = {"default": [{"type": "insecureAcceptAnything"}]}
    return json.dumps(doc, indent=2) + "\n"


def render_auth_json(auths: Mapping[str, Mapping[str, str]]) -> str:
    """A containers/docker ``auth.json`` (``{"auths": {host: {"auth": base64}}}``)."""
    return json.dumps({"auths": {h: dict(a) for h, a in sorted(auths.items())}}, indent=2) + "\n"
