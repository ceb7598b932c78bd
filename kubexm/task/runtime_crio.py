"""Plan CRI-O from its static bundle on every Kubernetes node, and the image import.

The bundle (``cri-o.<arch>.v<version>.tar.gz``) carries crio, conmon, pinns, crun/runc,
crictl and the CNI plugins; kubexm unpacks them, writes a ``crio.conf.d`` drop-in, the
containers ``registries.conf`` and ``policy.json``, and the unit. Planning reads config and
the artifacts (the bundle's file list), nothing on a host.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.runtime import CrioConfig, CrioRuntime, DockerAuth
from kubexm.errors import ConfigError, FieldProblem
from kubexm.plan import Fragment, PlanContext
from kubexm.resource.model import ImageArtifact
from kubexm.resource.resolve import resolve_artifacts
from kubexm.resource.scope import Scope
from kubexm.resource.urls import effective_zone
from kubexm.runner.criconfig import (
    CrioRuntimeBinary,
    CrioSettings,
    RegistryEntry,
    render_auth_json,
    render_crio_dropin,
    render_policy_json,
    render_registries_conf,
)
from kubexm.step.runtime.import_crio_images import ImportCrioImages
from kubexm.step.runtime.install_crio_bundle import CrioBundle, InstallCrioBundle, read_crio_bundle
from kubexm.step.runtime.start_crio import StartCrio
from kubexm.step.runtime.wait_crio_ready import WaitCrioReady
from kubexm.step.runtime.write_crictl_config import WriteCrictlConfig
from kubexm.step.runtime.write_crio_config import AUTH_FILE, WriteCrioConfig
from kubexm.step.runtime.write_crio_unit import WriteCrioUnit, render_crio_unit
from kubexm.task.base import Task, register_task
from kubexm.task.runtime import (
    LIMIT_NOFILE,
    cluster_of,
    image_archives,
    release_file,
    required_file,
    runtime_nodes,
    sandbox_image,
)
from kubexm.task.runtime_docker import socket_path
from kubexm.util.hashing import sha256_file, sha256_text
from kubexm.util.tomlio import TOMLSyntaxError

BIN_DIR = "/usr/local/bin"
DEFAULT_STORAGE_DRIVER = "overlay"


def crio_runtime(cluster: Cluster) -> CrioRuntime | None:
    """The CRI-O runtime block, None when another runtime is configured."""
    runtime = cluster.spec.kubernetes.container_runtime
    return runtime if isinstance(runtime, CrioRuntime) else None


def crio_version(cluster: Cluster, runtime: CrioRuntime) -> tuple[str, str]:
    """``(version, zone)`` of the CRI-O bundle this config wants."""
    scope = Scope.build(cluster, effective_zone(cluster.spec.global_.zone), None)
    return scope.version("crio", runtime.version or runtime.crio.version), scope.zone


def _auth_value(auth: DockerAuth) -> str | None:
    if auth.auth is not None:
        return auth.auth.get_secret_value()
    if auth.username and auth.password is not None:
        pair = f"{auth.username}:{auth.password.get_secret_value()}"
        return base64.b64encode(pair.encode()).decode()
    return None


def crio_auths(cluster: Cluster, block: CrioConfig) -> dict[str, dict[str, str]]:
    """Registry host -> ``{"auth": base64(user:password)}`` from ``spec.registry.auths`` and
    the crio block's ``auths`` (the latter wins for a host named in both)."""
    found: dict[str, dict[str, str]] = {}
    entries: list[tuple[str, DockerAuth]] = [
        (host, DockerAuth(username=e.username, password=e.password, auth=e.auth))
        for host, e in cluster.spec.registry.auths.items()
    ]
    entries += list(block.auths.items())
    for host, auth in entries:
        value = _auth_value(auth)
        if value is not None:
            found[host] = {"auth": value}
    return found


def registry_entries(cluster: Cluster, block: CrioConfig) -> tuple[RegistryEntry, ...]:
    """One ``[[registry]]`` per configured crio registry entry, plus an insecure one for
    each ``spec.registry.auths`` host reached over plain HTTP or unverified TLS."""
    entries = [
        RegistryEntry(
            prefix=e.prefix or e.location or "",
            location=e.location,
            insecure=e.insecure,
            blocked=e.blocked,
        )
        for e in block.registry.registries
    ]
    named = {e.prefix for e in entries}
    for host, auth in sorted(cluster.spec.registry.auths.items()):
        if host not in named and (auth.plain_http or auth.skip_tls_verify):
            entries.append(RegistryEntry(prefix=host, insecure=True))
    return tuple(entries)


def crio_settings(
    cluster: Cluster, block: CrioConfig, bundle: CrioBundle, *, auth_file: str | None
) -> CrioSettings:
    """The drop-in settings: the block's cgroup manager, storage, log level and CNI dirs,
    the pause image from the image map, crun (else runc) from the bundle as the default
    runtime and conmon from the bundle unless ``conmon`` names another."""
    runtimes = tuple(
        CrioRuntimeBinary(name, f"{BIN_DIR}/{name}", f"/run/{name}")
        for name in ("crun", "runc")
        if name in bundle.binaries
    )
    return CrioSettings(
        pause_image=sandbox_image(cluster),
        cgroup_manager=block.cgroup_manager,
        listen=socket_path(block.endpoint),
        root=block.root,
        runroot=block.runroot,
        storage_driver=block.storage_driver,
        storage_options=tuple(block.storage_option),
        log_level=block.log_level,
        log_filter=block.log_filter,
        runtimes=runtimes,
        monitor_path=block.conmon or f"{BIN_DIR}/conmon",
        network_dir=block.network_dir,
        plugin_dirs=tuple(block.plugin_dirs),
        auth_file=auth_file,
        extra_toml=block.extra_toml_config or "",
    )


_EXTRA_PATH = "spec.kubernetes.containerRuntime.crio.extraTomlConfig"


def render_dropin(settings: CrioSettings) -> str:
    """The drop-in text; ``ConfigError`` (at the config path) when ``extraTomlConfig`` does
    not parse."""
    try:
        return render_crio_dropin(settings)
    except TOMLSyntaxError as exc:
        hint = "fix the TOML (it is merged over the crio.conf.d drop-in kubexm writes)"
        raise ConfigError([FieldProblem(_EXTRA_PATH, f"not valid TOML: {exc}", hint)]) from exc


@register_task
class CrioInstallTask(Task):
    """CRI-O with conmon, pinns, crun/runc, crictl and the CNI plugins from its static bundle
    on every node, configured, started and reporting RuntimeReady; nothing for another
    runtime type."""

    name = "runtime/install-crio"
    description = "Install, configure and start CRI-O"

    def __init__(self, artifacts: Path) -> None:
        self.artifacts = artifacts

    def is_required(self, ctx: PlanContext) -> bool:
        cluster = cluster_of(ctx)
        return crio_runtime(cluster) is not None and bool(runtime_nodes(cluster))

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        runtime = crio_runtime(cluster)
        fragment = Fragment(self.name)
        if runtime is None:  # is_required said no; nothing to plan
            return fragment
        version, zone = crio_version(cluster, runtime)
        for node in runtime_nodes(cluster):
            arch = cluster.host(node).arch
            local = release_file(self.artifacts, "cri-o", version, arch, zone)
            archive = required_file(local, f"the CRI-O {version} bundle")
            steps = self._host_steps(cluster, runtime.crio, archive, version)
            fragment.chain((step, node) for step in steps)
        return fragment

    @staticmethod
    def _host_steps(cluster: Cluster, block: CrioConfig, archive: Path, version: str) -> list[Any]:
        bundle = read_crio_bundle(archive)
        auths = crio_auths(cluster, block)
        settings = crio_settings(cluster, block, bundle, auth_file=AUTH_FILE if auths else None)
        search = block.registry.unqualified_search_registries
        config = WriteCrioConfig(
            dropin=render_dropin(settings),
            registries=render_registries_conf(search, registry_entries(cluster, block)),
            policy=render_policy_json(),
            auth=render_auth_json(auths) if auths else None,
        )
        unit = WriteCrioUnit(render_crio_unit(limit_nofile=LIMIT_NOFILE, bin_dir=BIN_DIR))
        parts = [sha256_file(archive), config.dropin, config.registries, config.policy]
        digest = sha256_text("\0".join([*parts, config.auth or "", unit.content]))
        endpoint = "unix://" + settings.listen
        steps: list[Any] = [InstallCrioBundle(archive, version, bundle, bin_dir=BIN_DIR)]
        steps += [config, unit, StartCrio(digest), WriteCrictlConfig(endpoint)]
        if "crictl" in bundle.binaries:
            steps.append(WaitCrioReady(endpoint, crictl=f"{BIN_DIR}/crictl"))
        return steps


@register_task
class CrioImagesImportTask(Task):
    """Copy the image archives found in the artifacts into CRI-O's image store on every
    node. Images whose archive is absent are left to be pulled. The copy needs skopeo on the
    node (the bundle has no importer): without it the step fails with that hint."""

    name = "runtime/import-crio-images"
    description = "Import container images into CRI-O"

    def __init__(self, artifacts: Path, images: Sequence[ImageArtifact] | None = None) -> None:
        self.artifacts = artifacts
        self.images = images

    def is_required(self, ctx: PlanContext) -> bool:
        return crio_runtime(cluster_of(ctx)) is not None

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        runtime = crio_runtime(cluster)
        fragment = Fragment(self.name)
        if runtime is None:
            return fragment
        block = runtime.crio
        wanted = self.images if self.images is not None else resolve_artifacts(cluster).images
        for node in runtime_nodes(cluster):
            archives = image_archives(self.artifacts, wanted, cluster.host(node).arch)
            if archives:
                step = ImportCrioImages(
                    archives,
                    root=block.root,
                    runroot=block.runroot,
                    driver=block.storage_driver or DEFAULT_STORAGE_DRIVER,
                    endpoint="unix://" + socket_path(block.endpoint),
                    crictl=f"{BIN_DIR}/crictl",
                )
                fragment.add(step, node)
        return fragment


__all__ = [
    "CrioImagesImportTask",
    "CrioInstallTask",
    "crio_auths",
    "crio_runtime",
    "crio_settings",
    "crio_version",
    "registry_entries",
    "render_dropin",
]
