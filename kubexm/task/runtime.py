"""Plan the container runtime of every Kubernetes node (containerd) and the image import.

Release files are taken from the work dir's ``artifacts/`` folder in the download-cache
layout (``<component>/<version>/<arch>/<upstream file>``), image archives from
``artifacts/images/<image_archive_name(source)>``. Planning reads config, those files and
nothing on a host.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import tomlkit

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.runtime import ContainerdConfig, ContainerdRuntime, RegistryAuth
from kubexm.common import roles
from kubexm.errors import ArtifactError, ConfigError, FieldProblem
from kubexm.plan import Fragment, PlanContext
from kubexm.resource.model import ImageArtifact
from kubexm.resource.oci import image_archive_name
from kubexm.resource.resolve import file_artifact, resolve_artifacts
from kubexm.resource.scope import Scope
from kubexm.resource.urls import effective_zone
from kubexm.runner.criconfig import ContainerdSettings, MirrorEndpoint, containerd_schema
from kubexm.runner.criconfig import render_containerd_config as render_config
from kubexm.step.runtime.import_container_images import ImageArchive, ImportContainerImages
from kubexm.step.runtime.install_cni_plugins import InstallCniPlugins
from kubexm.step.runtime.install_containerd_binaries import InstallContainerdBinaries
from kubexm.step.runtime.install_crictl import InstallCrictl
from kubexm.step.runtime.install_runc import InstallRunc
from kubexm.step.runtime.start_containerd import StartContainerd
from kubexm.step.runtime.wait_containerd_ready import WaitContainerdReady
from kubexm.step.runtime.write_containerd_config import RegistryHosts, WriteContainerdConfig
from kubexm.step.runtime.write_containerd_unit import WriteContainerdUnit, render_containerd_unit
from kubexm.step.runtime.write_crictl_config import WriteCrictlConfig
from kubexm.task.base import Task, register_task
from kubexm.util.hashing import sha256_file, sha256_text
from kubexm.util.merge import deep_merge
from kubexm.util.tomlio import TOMLSyntaxError, load_toml_plain

_log = logging.getLogger(__name__)

LIMIT_NOFILE = 1048576
_MISSING_HINT = (
    "run `kubexm download -f <config>` (or unpack the offline bundle) so the work dir's "
    "artifacts/ folder holds it"
)
_AUTH_KEYS = {"auth": "auth", "identity_token": "identitytoken"}


def runtime_nodes(cluster: Cluster) -> list[str]:
    """Every Kubernetes node (masters, then workers), each once, in config order."""
    names = [h.name for h in cluster.masters] + [
        h.name for h in cluster.hosts_in_role(roles.ROLE_WORKER)
    ]
    return list(dict.fromkeys(names))


def containerd_runtime(cluster: Cluster) -> ContainerdRuntime | None:
    """The containerd runtime block, None when another runtime is configured."""
    runtime = cluster.spec.kubernetes.container_runtime
    return runtime if isinstance(runtime, ContainerdRuntime) else None


def release_file(artifacts: Path, component: str, version: str, arch: str, zone: str) -> Path:
    """The local path of one upstream release file (no existence check)."""
    return artifacts / file_artifact(component, version, arch, zone).cache_path


def _existing(path: Path, what: str) -> Path:
    if not path.is_file():
        raise ArtifactError(f"{what} is not in the artifacts: {path} is missing", _MISSING_HINT)
    return path


def sandbox_image(cluster: Cluster) -> str:
    """The pause image as the cluster references it: the runtime's ``pause`` setting or the
    BOM's, after the zone mirror and the private-registry rewrite."""
    for image in resolve_artifacts(cluster).images:
        if image.purpose == "pause":
            return image.target
    raise ArtifactError("no pause image resolved for this config", "a kubexm bug: report it")


def _auth_entry(auth: RegistryAuth) -> dict[str, str]:
    entry = {"username": auth.username} if auth.username else {}
    if auth.password is not None:
        entry["password"] = auth.password.get_secret_value()
    for field, key in _AUTH_KEYS.items():
        secret = getattr(auth, field)
        if secret is not None:
            entry[key] = secret.get_secret_value()
    return entry


def registry_auths(cluster: Cluster, block: ContainerdConfig) -> dict[str, dict[str, str]]:
    """Registry host -> credentials from ``spec.registry.auths`` and the containerd block's
    ``registry.configs`` (the latter wins for a host named in both)."""
    found: dict[str, dict[str, str]] = {}
    for host, entry in cluster.spec.registry.auths.items():
        auth = RegistryAuth(username=entry.username, password=entry.password, auth=entry.auth)
        found[host] = _auth_entry(auth)
    for host, config in block.registry.configs.items():
        if config.auth is not None:
            found[host] = _auth_entry(config.auth)
    return {host: entry for host, entry in found.items() if entry}


def _auth_doc(auths: Mapping[str, Mapping[str, str]], schema: int) -> dict[str, Any]:
    # containerd reads credentials from the CRI plugin's registry.configs even when mirrors
    # come from config_path (hosts.toml has no credential fields).
    plugin = "io.containerd.grpc.v1.cri" if schema == 2 else "io.containerd.cri.v1.images"
    configs = {host: {"auth": dict(entry)} for host, entry in auths.items()}
    return {"plugins": {plugin: {"registry": {"configs": configs}}}} if configs else {}


_EXTRA_PATH = "spec.kubernetes.containerRuntime.containerd.extraTomlConfig"


def _user_toml(text: str) -> dict[str, Any]:
    try:
        return load_toml_plain(text, source="extraTomlConfig")
    except TOMLSyntaxError as exc:
        hint = "fix the TOML (it is merged over the config.toml kubexm writes)"
        raise ConfigError([FieldProblem(_EXTRA_PATH, f"not valid TOML: {exc}", hint)]) from exc


def _plugin_lists(block: ContainerdConfig) -> dict[str, Any]:
    lists = {
        "disabled_plugins": block.disabled_plugins,
        "required_plugins": block.required_plugins,
        "imports": block.imports,
    }
    return {key: list(value) for key, value in lists.items() if value}


def extra_toml(
    block: ContainerdConfig, auths: Mapping[str, Mapping[str, str]], version: str
) -> str:
    """The TOML merged over kubexm's config: plugin lists, imports and credentials, then the
    user's ``extraTomlConfig`` on top. Raises ``ConfigError`` when that does not parse."""
    doc = deep_merge(_plugin_lists(block), _auth_doc(auths, containerd_schema(version)))
    if block.extra_toml_config and block.extra_toml_config.strip():
        doc = deep_merge(doc, _user_toml(block.extra_toml_config))
    return tomlkit.dumps(doc) if doc else ""


def _tls(block: ContainerdConfig, host: str) -> tuple[bool, str | None]:
    config = block.registry.configs.get(host)
    tls = config.tls if config is not None else None
    return (tls.insecure_skip_verify, tls.ca_file) if tls is not None else (False, None)


def registry_hosts(cluster: Cluster, block: ContainerdConfig) -> tuple[RegistryHosts, ...]:
    """One hosts.toml per registry with mirrors, TLS settings or plain HTTP access."""
    out: dict[str, RegistryHosts] = {}
    for host, mirror in block.registry.mirrors.items():
        skip, ca = _tls(block, host)
        endpoints = tuple(MirrorEndpoint(url, skip_verify=skip, ca=ca) for url in mirror.endpoints)
        out[host] = RegistryHosts(host, endpoints)
    for host in block.registry.configs:
        skip, ca = _tls(block, host)
        if host not in out and (skip or ca):
            out[host] = RegistryHosts(
                host, (MirrorEndpoint(f"https://{host}", skip_verify=skip, ca=ca),)
            )
    for host, entry in cluster.spec.registry.auths.items():
        if host not in out and (entry.plain_http or entry.skip_tls_verify):
            scheme = "http" if entry.plain_http else "https"
            url = f"{scheme}://{host}"
            plain = MirrorEndpoint(url, skip_verify=entry.skip_tls_verify, ca=entry.certs_path)
            out[host] = RegistryHosts(host, (plain,), server=url)
    return tuple(out[h] for h in sorted(out))


def containerd_settings(
    cluster: Cluster, runtime: ContainerdRuntime, version: str
) -> ContainerdSettings:
    """config.toml settings: schema by ``version``, SystemdCgroup as the kubelet's cgroup
    driver, the pause image, certs.d for registry hosts, credentials and extra TOML."""
    block = runtime.containerd
    return ContainerdSettings(
        version=version,
        root=block.root,
        state=block.state,
        grpc_address=block.endpoint.removeprefix("unix://"),
        sandbox_image=sandbox_image(cluster),
        systemd_cgroup=cluster.spec.kubernetes.kubelet.cgroup_driver == "systemd",
        extra_toml=extra_toml(block, registry_auths(cluster, block), version),
    )


class RuntimeVersions:
    """The runtime component versions and the zone of one config."""

    def __init__(self, cluster: Cluster, runtime: ContainerdRuntime) -> None:
        scope = Scope.build(cluster, effective_zone(cluster.spec.global_.zone), None)
        self.zone = scope.zone
        self.containerd = scope.version("containerd", runtime.version or runtime.containerd.version)
        self.runc = scope.version("runc")
        self.cni = scope.version("cni_plugins")
        self.crictl = scope.version("crictl")


@register_task
class ContainerdInstallTask(Task):
    """containerd, runc, CNI plugins (and crictl when the artifacts have it) on every node,
    configured, started and answering; nothing for another runtime type."""

    name = "runtime/install-containerd"
    description = "Install, configure and start containerd"

    def __init__(self, artifacts: Path) -> None:
        self.artifacts = artifacts

    def is_required(self, ctx: PlanContext) -> bool:
        return containerd_runtime(_cluster(ctx)) is not None and bool(runtime_nodes(_cluster(ctx)))

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = _cluster(ctx)
        runtime = containerd_runtime(cluster)
        if runtime is None:  # is_required said no; nothing to plan
            return Fragment(self.name)
        versions = RuntimeVersions(cluster, runtime)
        settings = containerd_settings(cluster, runtime, versions.containerd)
        config = WriteContainerdConfig(
            settings,
            registry_hosts(cluster, runtime.containerd),
            secret=bool(registry_auths(cluster, runtime.containerd)),
            path=runtime.containerd.config_path,
        )
        unit = WriteContainerdUnit(
            render_containerd_unit(
                config_path=runtime.containerd.config_path, limit_nofile=LIMIT_NOFILE
            )
        )
        fragment = Fragment(self.name)
        for node in runtime_nodes(cluster):
            arch = cluster.host(node).arch
            steps = self._host_steps(versions, arch, config, unit, runtime.containerd.endpoint)
            fragment.chain((step, node) for step in steps)
        return fragment

    def _host_steps(
        self,
        v: RuntimeVersions,
        arch: str,
        config: WriteContainerdConfig,
        unit: WriteContainerdUnit,
        endpoint: str,
    ) -> list[Any]:
        def local(component: str, version: str) -> Path:
            return release_file(self.artifacts, component, version, arch, v.zone)

        archive = _existing(local("containerd", v.containerd), f"containerd {v.containerd}")
        binaries: list[Any] = [
            InstallContainerdBinaries(archive, v.containerd),
            InstallRunc(_existing(local("runc", v.runc), f"runc {v.runc}"), v.runc),
            InstallCniPlugins(_existing(local("cni-plugins", v.cni), f"CNI {v.cni}"), v.cni),
        ]
        crictl = local("crictl", v.crictl)
        if crictl.is_file():
            binaries.append(InstallCrictl(crictl, v.crictl))
        else:
            _log.info("crictl %s is not in the artifacts (%s); not installing it", v.crictl, crictl)
        text = render_config(config.settings)
        digest = sha256_text(f"{sha256_file(archive)}\0{text}\0{unit.content}")
        address = endpoint.removeprefix("unix://")
        return [
            *binaries,
            config,
            unit,
            WriteCrictlConfig(endpoint),
            StartContainerd(digest),
            WaitContainerdReady(address),
        ]


def image_archives(
    artifacts: Path, images: Iterable[ImageArtifact], arch: str
) -> tuple[ImageArchive, ...]:
    """The archives of ``images`` for ``arch`` that exist under ``artifacts/images``."""
    found = []
    for image in images:
        path = artifacts / "images" / image_archive_name(image.source)
        if arch in image.arches and path.is_file():
            found.append(ImageArchive(image.target, image.source, path))
    return tuple(found)


@register_task
class ContainerImagesImportTask(Task):
    """Import the image archives found in the artifacts into containerd on every node, so
    pods start without a registry. Images whose archive is absent are left to the kubelet to
    pull (from the configured registry or mirror)."""

    name = "runtime/import-container-images"
    description = "Import container images into containerd"

    def __init__(self, artifacts: Path, images: Sequence[ImageArtifact] | None = None) -> None:
        self.artifacts = artifacts
        self.images = images

    def is_required(self, ctx: PlanContext) -> bool:
        return containerd_runtime(_cluster(ctx)) is not None

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = _cluster(ctx)
        wanted = self.images if self.images is not None else resolve_artifacts(cluster).images
        fragment = Fragment(self.name)
        runtime = containerd_runtime(cluster)
        address = runtime.containerd.endpoint.removeprefix("unix://") if runtime else ""
        for node in runtime_nodes(cluster):
            archives = image_archives(self.artifacts, wanted, cluster.host(node).arch)
            if archives:
                fragment.add(ImportContainerImages(archives, address=address), node)
        return fragment


def _cluster(ctx: PlanContext) -> Cluster:
    config = ctx.config
    if not isinstance(config, Cluster):
        raise TypeError(f"plan context holds {type(config).__name__}, not a Cluster")
    return config


def cluster_of(ctx: PlanContext) -> Cluster:
    """The cluster a plan context holds; ``TypeError`` for any other config."""
    return _cluster(ctx)


def required_file(path: Path, what: str) -> Path:
    """``path`` when it is a file, else ``ArtifactError`` (hint: ``kubexm download``)."""
    return _existing(path, what)


__all__ = [
    "ContainerImagesImportTask",
    "ContainerdInstallTask",
    "RuntimeVersions",
    "cluster_of",
    "containerd_settings",
    "image_archives",
    "registry_auths",
    "registry_hosts",
    "required_file",
    "runtime_nodes",
    "sandbox_image",
]
