"""The exact artifact list of a config: files, images, charts and OS packages.

``resolve_artifacts`` is pure: it reads the config and the packaged data, never the network.
Versions come from the config where it sets them, else from the BOM entry of the
Kubernetes minor; a version without a pinned digest is allowed (``sha256`` None, checked
later against the upstream ``.sha256`` file).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.runtime import ContainerdRuntime, CrioRuntime, DockerRuntime
from kubexm.common import types as t
from kubexm.errors import ArtifactError

from .bom import pinned_sha256, strip_v
from .catalog import Need, chart_needs, image_needs
from .model import ArtifactSet, FileArtifact, ImageArtifact
from .packages import OSTargets, os_package_sets
from .scope import Scope
from .urls import (
    download_url,
    effective_zone,
    file_name,
    mirror_image,
    normalise_arch,
    private_image,
)

# (component, version, arches)
Want = tuple[str, str, tuple[str, ...]]

_KUBEADM_BINARIES = ("kubeadm", "kubelet", "kubectl")
_MASTER_BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
# The CNIs installed from an upstream release manifest: plugin -> file component.
CNI_MANIFESTS = {t.CNI_CALICO: "calico-manifest", t.CNI_FLANNEL: "flannel-manifest"}


def file_artifact(component: str, version: str, arch: str, zone: str = "") -> FileArtifact:
    """One release file (version without ``v``) with its URL in ``zone`` and its pinned digest.

    ``sha256`` is None when no digest is pinned.

    Raises ArtifactError with a hint when kubexm knows no URL for the component.
    """
    plain, canonical = strip_v(version), normalise_arch(arch)
    url = download_url(component, plain, canonical, zone)
    sha = pinned_sha256(component, plain, canonical)
    return FileArtifact(component, plain, canonical, file_name(url), url, sha)


def _kubernetes_files(scope: Scope) -> list[Want]:
    version = scope.kubernetes_version
    nodes = scope.arches_of(scope.nodes)
    if not scope.is_binary_mode:
        return [(name, version, nodes) for name in _KUBEADM_BINARIES]
    masters = scope.arches_of(scope.masters)
    wants: list[Want] = [(name, version, masters) for name in _MASTER_BINARIES]
    wants.append(("kubelet", version, nodes))
    if scope.cluster.spec.kubernetes.kube_proxy.enable:
        wants.append(("kube-proxy", version, nodes))
    return wants


def _etcd_files(scope: Scope) -> list[Want]:
    etcd = scope.cluster.spec.etcd
    if etcd.type != t.ETCD_KUBEXM:
        return []
    members = scope.arches_of(scope.cluster.etcd_members())
    return [("etcd", scope.version("etcd", etcd.version), members)]


def _runtime_files(scope: Scope) -> list[Want]:
    runtime = scope.cluster.spec.kubernetes.container_runtime
    nodes = scope.arches_of(scope.nodes)
    common: list[Want] = [
        ("crictl", scope.version("crictl"), nodes),
        ("cni-plugins", scope.version("cni_plugins"), nodes),
    ]
    if isinstance(runtime, ContainerdRuntime):
        version = runtime.version or runtime.containerd.version
        return [
            ("containerd", scope.version("containerd", version), nodes),
            ("runc", scope.version("runc"), nodes),
            *common,
        ]
    if isinstance(runtime, DockerRuntime):
        docker = runtime.docker
        wants = [
            ("docker", scope.version("docker_static", runtime.version or docker.version), nodes)
        ]
        if docker.install_cri_dockerd:
            cri = scope.version("cri_dockerd", docker.cri_dockerd_version)
            wants.append(("cri-dockerd", cri, nodes))
        return [*wants, *common]
    if isinstance(runtime, CrioRuntime):
        # The CRI-O bundle carries its own runc, crun, conmon, crictl and CNI plugins.
        return [("cri-o", scope.version("crio", runtime.version or runtime.crio.version), nodes)]
    return [(runtime.type, runtime.version or "", nodes)]


def _tool_files(scope: Scope, need_helm: bool) -> list[Want]:
    masters = scope.arches_of(scope.masters)
    wants: list[Want] = []
    plugin = scope.cluster.spec.network.plugin
    if plugin == t.CNI_CALICO:
        wants.append(("calicoctl", scope.version("calico"), masters))
    if plugin in CNI_MANIFESTS:
        wants.append((CNI_MANIFESTS[plugin], scope.version(plugin), masters))
    if need_helm:
        wants.append(("helm", scope.version("helm"), masters))
    return wants


def _addons_use_helm(cluster: Cluster) -> bool:
    """True when an enabled add-on installs a chart (also one from a local path)."""
    return any(
        source.chart is not None
        for addon in cluster.spec.addons
        if addon.enabled
        for source in addon.sources
    )


def _expand(wants: Iterable[Want], zone: str) -> tuple[FileArtifact, ...]:
    files = {
        file_artifact(component, version, arch, zone)
        for component, version, arches in wants
        for arch in arches
    }
    return tuple(sorted(files))


def _image(need: Need, scope: Scope) -> ImageArtifact:
    source = mirror_image(need.ref, scope.zone)
    mirroring = scope.cluster.spec.registry.mirroring
    target = source
    if mirroring.private_registry:
        target = private_image(need.ref, mirroring)
    return ImageArtifact(source, target, need.purpose, need.arches)


def _images(scope: Scope) -> tuple[ImageArtifact, ...]:
    """Images merged per (source, target, purpose), the arches united, sorted."""
    arches: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for need in image_needs(scope):
        if not need.arches:
            continue
        image = _image(need, scope)
        arches[(image.source, image.target, image.purpose)].update(image.arches)
    return tuple(
        ImageArtifact(source, target, purpose, tuple(sorted(found)))
        for (source, target, purpose), found in sorted(arches.items())
    )


def resolve_artifacts(
    cluster: Cluster,
    *,
    zone: str | None = None,
    arches: Iterable[str] | None = None,
    os_targets: OSTargets | None = None,
) -> ArtifactSet:
    """Everything ``cluster`` needs from outside, de-duplicated and sorted.

    ``zone`` None means ``KXZONE`` or ``spec.global.zone``; ``arches`` replaces the hosts'
    arches (for building a bundle for other machines); ``os_targets`` maps host names to
    their gathered ``(os_id, os_version)`` (see ``packages``). Raises ArtifactError when the
    Kubernetes minor has no BOM entry, a component has no URL template (for example the
    ``isula`` runtime), or the zone or an arch is unknown.
    """
    chosen = effective_zone(zone if zone is not None else cluster.spec.global_.zone)
    scope = Scope.build(cluster, chosen, arches)
    charts, notes = chart_needs(scope)
    wants = [
        *_kubernetes_files(scope),
        *_etcd_files(scope),
        *_runtime_files(scope),
        *_tool_files(scope, need_helm=bool(charts) or _addons_use_helm(cluster)),
    ]
    try:
        files = _expand(wants, chosen)
    except ArtifactError as exc:
        raise ArtifactError(f"cannot resolve the artifacts: {exc.message}", exc.hint) from exc
    return ArtifactSet(
        files=files,
        images=_images(scope),
        charts=tuple(sorted(set(charts))),
        os_packages=tuple(os_package_sets(scope, os_targets)),
        arches=scope.arch_override or scope.all_arches,
        notes=tuple(notes),
    )
