"""Plan docker (static release) + cri-dockerd on every Kubernetes node, and the image load.

docker runs on its own containerd (the one in docker's tarball, with the CRI plugin off);
the kubelet talks to cri-dockerd. Release files come from the work dir's ``artifacts/``
folder in the download-cache layout, as for containerd. Planning reads config and those
files, nothing on a host.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.runtime import DockerConfig, DockerRuntime
from kubexm.plan import Fragment, PlanContext
from kubexm.resource.model import ImageArtifact
from kubexm.resource.resolve import resolve_artifacts
from kubexm.resource.scope import Scope
from kubexm.resource.urls import effective_zone
from kubexm.runner.criconfig import ContainerdSettings, DockerSettings, render_containerd_config
from kubexm.runner.criconfig import render_docker_daemon_json as render_daemon_json
from kubexm.step.runtime.install_cni_plugins import InstallCniPlugins
from kubexm.step.runtime.install_cri_dockerd import InstallCriDockerd
from kubexm.step.runtime.install_crictl import InstallCrictl
from kubexm.step.runtime.install_docker_binaries import InstallDockerBinaries
from kubexm.step.runtime.load_docker_images import LoadDockerImages
from kubexm.step.runtime.start_containerd import StartContainerd
from kubexm.step.runtime.start_cri_dockerd import StartCriDockerd
from kubexm.step.runtime.start_docker import StartDocker
from kubexm.step.runtime.wait_containerd_ready import WaitContainerdReady
from kubexm.step.runtime.wait_cri_dockerd_ready import WaitCriDockerdReady
from kubexm.step.runtime.wait_docker_ready import WaitDockerReady
from kubexm.step.runtime.write_containerd_config import WriteContainerdConfig
from kubexm.step.runtime.write_containerd_unit import WriteContainerdUnit, render_containerd_unit
from kubexm.step.runtime.write_cri_dockerd_units import (
    WriteCriDockerdUnits,
    render_cri_dockerd_units,
)
from kubexm.step.runtime.write_crictl_config import WriteCrictlConfig
from kubexm.step.runtime.write_docker_config import WriteDockerConfig
from kubexm.step.runtime.write_docker_units import WriteDockerUnits, render_docker_units
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
from kubexm.util.hashing import sha256_file, sha256_text
from kubexm.util.version import parse_version

_log = logging.getLogger(__name__)

#: docker's own containerd: the CRI plugin off (the kubelet talks to cri-dockerd), config
#: schema 2, which every containerd docker ships (1.6, 1.7, 2.x) reads.
DOCKER_CONTAINERD = ContainerdSettings(
    version="1.7.0", extra_toml='disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
)
#: The first dockerd with ``--validate``.
VALIDATE_SINCE = (23, 0)
_DEFAULT_LOG_OPTS = {"max-size": "100m", "max-file": "5"}


def docker_runtime(cluster: Cluster) -> DockerRuntime | None:
    """The docker runtime block, None when another runtime is configured."""
    runtime = cluster.spec.kubernetes.container_runtime
    return runtime if isinstance(runtime, DockerRuntime) else None


def socket_path(endpoint: str) -> str:
    """``unix:///var/run/x.sock`` -> ``/run/x.sock`` (/var/run links to /run)."""
    path = endpoint.removeprefix("unix://")
    return "/run/" + path.removeprefix("/var/run/") if path.startswith("/var/run/") else path


def bridge_ip(cidr: str) -> str:
    """docker's ``bip`` is the bridge's own address: a network (``172.30.0.0/16``, the form
    the config takes) becomes its first host (``172.30.0.1/16``)."""
    iface = ipaddress.ip_interface(cidr)
    if iface.ip == iface.network.network_address:
        return f"{iface.network.network_address + 1}/{iface.network.prefixlen}"
    return cidr


def _extra(block: DockerConfig) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "live-restore": block.live_restore,
        "iptables": block.ip_tables,
        "ip-masq": block.ip_masq,
        "max-concurrent-downloads": block.max_concurrent_downloads,
        "max-concurrent-uploads": block.max_concurrent_uploads,
    }
    optional: dict[str, Any] = {
        "experimental": block.experimental or None,
        "fixed-cidr": block.fixed_cidr,
        "storage-opts": list(block.storage_opts),
        "default-runtime": block.default_runtime,
        "bridge": block.bridge if block.bridge != "docker0" else None,
        "default-address-pools": [p.model_dump() for p in block.default_address_pools],
        "runtimes": {
            name: {"path": r.path, **({"runtimeArgs": r.runtime_args} if r.runtime_args else {})}
            for name, r in block.runtimes.items()
        },
    }
    extra.update({k: v for k, v in optional.items() if v})
    return {**extra, **block.extra_json_config}


def docker_settings(block: DockerConfig) -> DockerSettings:
    """daemon.json settings from the typed block: systemd (or cgroupfs) cgroup driver,
    overlay2 unless another storage driver is set, the log driver and its options (the
    json-file defaults dropped for another driver), mirrors, insecure registries, bip, then
    ``extraJsonConfig`` on top."""
    log_opts = dict(block.log_opts)
    if block.log_driver != "json-file" and log_opts == _DEFAULT_LOG_OPTS:
        log_opts = {}
    return DockerSettings(
        cgroup_driver=block.cgroup_driver,
        storage_driver=block.storage_driver or "overlay2",
        data_root=block.data_root,
        registry_mirrors=tuple(block.registry_mirrors),
        insecure_registries=tuple(block.insecure_registries),
        bip=bridge_ip(block.bip) if block.bip else None,
        extra=_extra(block),
        log_driver=block.log_driver,
        log_opts=log_opts,
        exec_opts=tuple(block.exec_opts),
    )


def can_validate(version: str) -> bool:
    """True when dockerd ``version`` knows ``--validate`` (23.0 and later)."""
    parsed = parse_version(version)
    return (parsed.major, parsed.minor) >= VALIDATE_SINCE


class DockerVersions:
    """The docker, cri-dockerd, crictl and CNI plugin versions and the zone of one config."""

    def __init__(self, cluster: Cluster, runtime: DockerRuntime) -> None:
        scope = Scope.build(cluster, effective_zone(cluster.spec.global_.zone), None)
        self.zone = scope.zone
        self.docker = scope.version("docker_static", runtime.version or runtime.docker.version)
        self.cri_dockerd = scope.version("cri_dockerd", runtime.docker.cri_dockerd_version)
        self.crictl = scope.version("crictl")
        self.cni = scope.version("cni_plugins")


@register_task
class DockerInstallTask(Task):
    """docker (its containerd, runc and client included), cri-dockerd when
    ``installCRIDockerd``, the CNI plugins and crictl (when the artifacts have it) on every
    node, configured, started and answering; nothing for another runtime type."""

    name = "runtime/install-docker"
    description = "Install, configure and start docker and cri-dockerd"

    def __init__(self, artifacts: Path) -> None:
        self.artifacts = artifacts

    def is_required(self, ctx: PlanContext) -> bool:
        cluster = cluster_of(ctx)
        return docker_runtime(cluster) is not None and bool(runtime_nodes(cluster))

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        runtime = docker_runtime(cluster)
        fragment = Fragment(self.name)
        if runtime is None:  # is_required said no; nothing to plan
            return fragment
        versions = DockerVersions(cluster, runtime)
        pause = sandbox_image(cluster)
        for node in runtime_nodes(cluster):
            plan = _HostPlan(self.artifacts, versions, cluster.host(node).arch)
            fragment.chain((step, node) for step in plan.steps(runtime.docker, pause))
        return fragment


class _HostPlan:
    """The docker steps of one node, given its arch."""

    def __init__(self, artifacts: Path, versions: DockerVersions, arch: str) -> None:
        self.artifacts = artifacts
        self.v = versions
        self.arch = arch

    def local(self, component: str, version: str) -> Path:
        return release_file(self.artifacts, component, version, self.arch, self.v.zone)

    def steps(self, block: DockerConfig, pause: str) -> list[Any]:
        archive = required_file(self.local("docker", self.v.docker), f"docker {self.v.docker}")
        cni = self.local("cni-plugins", self.v.cni)
        steps: list[Any] = [
            InstallDockerBinaries(archive, self.v.docker),
            InstallCniPlugins(required_file(cni, f"CNI plugins {self.v.cni}"), self.v.cni),
            *self._crictl(),
            *self._containerd(archive),
            *self._docker(archive, block),
        ]
        if block.install_cri_dockerd:
            steps += self._cri_dockerd(block, pause)
        return steps

    @property
    def has_crictl(self) -> bool:
        return self.local("crictl", self.v.crictl).is_file()

    def _crictl(self) -> list[Any]:
        crictl = self.local("crictl", self.v.crictl)
        if self.has_crictl:
            return [InstallCrictl(crictl, self.v.crictl)]
        _log.info(
            "crictl %s is not in the artifacts (%s); not installing it", self.v.crictl, crictl
        )
        return []

    def _containerd(self, archive: Path) -> list[Any]:
        config = WriteContainerdConfig(DOCKER_CONTAINERD)
        unit = WriteContainerdUnit(render_containerd_unit(limit_nofile=LIMIT_NOFILE))
        text = render_containerd_config(DOCKER_CONTAINERD)
        digest = sha256_text(f"{sha256_file(archive)}\0{text}\0{unit.content}")
        return [config, unit, StartContainerd(digest), WaitContainerdReady()]

    def _docker(self, archive: Path, block: DockerConfig) -> list[Any]:
        endpoint = "unix://" + socket_path(block.endpoint)
        settings = docker_settings(block)
        service, socket = render_docker_units(
            socket_path=socket_path(block.endpoint), limit_nofile=LIMIT_NOFILE
        )
        text = render_daemon_json(settings)
        digest = sha256_text(f"{sha256_file(archive)}\0{text}\0{service}\0{socket}")
        return [
            WriteDockerConfig(settings, validate=can_validate(self.v.docker)),
            WriteDockerUnits(service, socket),
            StartDocker(digest),
            WaitDockerReady(endpoint),
        ]

    def _cri_dockerd(self, block: DockerConfig, pause: str) -> list[Any]:
        version = self.v.cri_dockerd
        archive = required_file(self.local("cri-dockerd", version), f"cri-dockerd {version}")
        service, socket = render_cri_dockerd_units(
            pause_image=pause, docker_endpoint="unix://" + socket_path(block.endpoint)
        )
        digest = sha256_text(f"{sha256_file(archive)}\0{service}\0{socket}")
        endpoint = "unix:///run/cri-dockerd.sock"
        steps: list[Any] = [
            InstallCriDockerd(archive, version),
            WriteCriDockerdUnits(service, socket),
            StartCriDockerd(digest),
            WriteCrictlConfig(endpoint),
        ]
        # The CRI health check needs crictl; without it docker's own check above stands.
        return [*steps, WaitCriDockerdReady(endpoint)] if self.has_crictl else steps


@register_task
class DockerImagesImportTask(Task):
    """Load the image archives found in the artifacts into docker on every node, so pods
    start without a registry. Images whose archive is absent are left to be pulled."""

    name = "runtime/load-docker-images"
    description = "Load container images into docker"

    def __init__(self, artifacts: Path, images: Sequence[ImageArtifact] | None = None) -> None:
        self.artifacts = artifacts
        self.images = images

    def is_required(self, ctx: PlanContext) -> bool:
        return docker_runtime(cluster_of(ctx)) is not None

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        runtime = docker_runtime(cluster)
        wanted = self.images if self.images is not None else resolve_artifacts(cluster).images
        endpoint = "unix://" + socket_path(runtime.docker.endpoint) if runtime else ""
        fragment = Fragment(self.name)
        for node in runtime_nodes(cluster):
            arch = cluster.host(node).arch
            archives = image_archives(self.artifacts, wanted, arch)
            if archives:
                fragment.add(LoadDockerImages(archives, arch=arch, endpoint=endpoint), node)
        return fragment


__all__ = [
    "DockerImagesImportTask",
    "DockerInstallTask",
    "DockerVersions",
    "bridge_ip",
    "can_validate",
    "docker_runtime",
    "docker_settings",
    "socket_path",
]
