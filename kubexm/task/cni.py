"""Tasks of the CNI plugin, all on the first master: the plugin's objects (an adapted
release manifest for calico/flannel, the bundled chart for cilium), then the wait until every
node is Ready. Pure: config, artifacts on the control machine and the image map in, steps out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.network import CalicoNetwork, CiliumNetwork, FlannelNetwork
from kubexm.common import roles
from kubexm.common import types as t
from kubexm.errors import ArtifactError, PlanError
from kubexm.plan import Fragment, PlanContext
from kubexm.resource.bom import default_versions, strip_v
from kubexm.resource.bundle_manifest import chart_member
from kubexm.resource.catalog import bom_chart
from kubexm.resource.resolve import CNI_MANIFESTS, file_artifact, resolve_artifacts
from kubexm.resource.urls import effective_zone, normalise_arch
from kubexm.step.addons.install_helm import InstallHelm
from kubexm.step.addons.release import HelmRelease, remote_chart
from kubexm.step.cni.calico import render_calico
from kubexm.step.cni.cilium import cilium_values
from kubexm.step.cni.flannel import render_flannel
from kubexm.step.cni.install_cni_chart import InstallCniChart
from kubexm.step.cni.install_cni_manifest import InstallCniManifest
from kubexm.step.cni.manifest import image_key
from kubexm.step.cni.wait_nodes_ready import WaitNodesReady
from kubexm.task.base import Task
from kubexm.util.yamlio import dump_yaml

MISSING_HINT = "run 'kubexm download -f <config>' (or unpack the offline bundle) first"
CILIUM_NAMESPACE = "kube-system"


def cluster_of(ctx: PlanContext) -> Cluster:
    """The typed config of ``ctx``; PlanError when the context holds something else."""
    config = ctx.config
    if not isinstance(config, Cluster):
        raise PlanError("the plan context holds no cluster config", "a kubexm bug")
    return config


def first_master(cluster: Cluster) -> str:
    """The host every cluster-level step runs on; PlanError without masters."""
    if not cluster.masters:
        raise PlanError("the cluster has no master", "add a host to roleGroups.master")
    return cluster.masters[0].name


def kube_nodes(cluster: Cluster) -> tuple[str, ...]:
    """Every host that runs a kubelet (masters and workers), in config order."""
    wanted = {h.name for h in cluster.masters}
    wanted |= {h.name for h in cluster.hosts_in_role(roles.ROLE_WORKER)}
    return tuple(h.name for h in cluster.spec.hosts if h.name in wanted)


def image_map(cluster: Cluster, purpose: str) -> dict[str, str]:
    """``image_key`` -> reference the cluster pulls, for the images of ``purpose``."""
    return {
        image_key(image.source): image.target
        for image in resolve_artifacts(cluster).images
        if image.purpose == purpose
    }


def existing(path: Path, what: str) -> Path:
    """``path`` when it is a file; ArtifactError naming ``what`` and the fix otherwise."""
    if not path.is_file():
        raise ArtifactError(f"{what} is not in the artifacts: {path} is missing", MISSING_HINT)
    return path


@dataclass(frozen=True)
class CniPlan:
    """The work dir's ``artifacts`` folder the manifests and charts are read from."""

    artifacts: Path


def release_file(cluster: Cluster, artifacts: Path, component: str, version: str) -> Path:
    """The local release file of ``component`` for the first master's arch (must exist)."""
    arch = cluster.host(first_master(cluster)).arch
    zone = effective_zone(cluster.spec.global_.zone)
    artifact = file_artifact(component, version, arch, zone)
    return existing(artifacts / artifact.cache_path, f"{component} {artifact.version}")


def bom_version(cluster: Cluster, key: str) -> str:
    """The BOM's version of ``key`` for the cluster's Kubernetes minor."""
    return default_versions(cluster.spec.kubernetes.version)[key]


def manifest_file(cluster: Cluster, artifacts: Path) -> Path:
    """The local upstream manifest of the cluster's calico/flannel: ``sources.yaml.path``
    (one local file) when the config names one, else the release file in the artifacts."""
    plugin = cluster.spec.network.plugin
    block = getattr(cluster.spec.network, t.CNI_BLOCK_KEYS[plugin])
    sources = getattr(block, "sources", None)
    if sources is not None and sources.yaml is not None:
        paths = sources.yaml.path
        if len(paths) != 1 or "://" in paths[0]:
            raise PlanError(
                f"network.{plugin}.sources.yaml.path must be one local manifest file",
                "download the manifest and give its path on this machine",
            )
        return existing(Path(paths[0]), f"the {plugin} manifest")
    return release_file(cluster, artifacts, CNI_MANIFESTS[plugin], bom_version(cluster, plugin))


def render_manifest(cluster: Cluster, path: Path) -> str:
    """The calico/flannel manifest at ``path`` adapted to ``cluster``."""
    net = cluster.spec.network
    text = path.read_text(encoding="utf-8")
    images = image_map(cluster, f"cni:{net.plugin}")
    if isinstance(net, CalicoNetwork):
        return render_calico(text, net, images, str(path))
    if isinstance(net, FlannelNetwork):
        return render_flannel(text, net, images, str(path))
    raise PlanError(f"{net.plugin} has no release manifest", "a kubexm bug")


def cilium_release(cluster: Cluster, artifacts: Path) -> tuple[HelmRelease, Path]:
    """The cilium helm release and the bundled chart archive it installs from."""
    chart = bom_chart(t.CNI_CILIUM, f"cni:{t.CNI_CILIUM}")
    archive = existing(artifacts / chart_member(chart), f"the cilium chart {chart.version}")
    values = cilium_values(cluster, image_map(cluster, f"cni:{t.CNI_CILIUM}"))
    release = HelmRelease(
        name="cilium",
        namespace=CILIUM_NAMESPACE,
        chart=remote_chart(archive.name),
        chart_name=chart.name,
        version=strip_v(chart.version),
        values=dump_yaml(values),
        wait=False,
    )
    return release, archive


def install_helm(cluster: Cluster, artifacts: Path) -> InstallHelm:
    """The InstallHelm step for the first master, from the helm tarball in the artifacts."""
    version = bom_version(cluster, "helm")
    path = release_file(cluster, artifacts, "helm", version)
    arch = cluster.host(first_master(cluster)).arch
    return InstallHelm(path, version, normalise_arch(arch))


class _CniTask(Task):
    def __init__(self, cni: CniPlan) -> None:
        self.cni = cni


class CniInstallTask(_CniTask):
    """The CNI's objects in the cluster, applied from the first master."""

    name: ClassVar[str] = "cni/install"
    description: ClassVar[str] = "Install the CNI plugin"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        host, plugin = first_master(cluster), cluster.spec.network.plugin
        frag = Fragment(self.name)
        if isinstance(cluster.spec.network, CiliumNetwork):
            helm = frag.add(
                install_helm(cluster, self.cni.artifacts), host, id=f"cni/install-helm@{host}"
            )
            release, archive = cilium_release(cluster, self.cni.artifacts)
            frag.add(InstallCniChart(release, archive), host, after=[helm])
            return frag
        if plugin not in CNI_MANIFESTS:
            raise PlanError(
                f"kubexm does not install the {plugin} CNI yet",
                "set network.plugin to calico, flannel or cilium",
            )
        manifest = render_manifest(cluster, manifest_file(cluster, self.cni.artifacts))
        frag.add(InstallCniManifest(plugin, manifest), host)
        return frag


class NodesReadyWaitTask(_CniTask):
    """Wait on the first master until every kubelet's node is Ready."""

    name: ClassVar[str] = "cni/wait-nodes"
    description: ClassVar[str] = "Wait until every node is Ready"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        frag = Fragment(self.name)
        frag.add(WaitNodesReady(kube_nodes(cluster)), first_master(cluster))
        return frag
