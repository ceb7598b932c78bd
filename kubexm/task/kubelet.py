"""Tasks of the binary-mode node agents: kubelet and kube-proxy on every master and worker.

Each node gets the cluster CA, its kubelet serving pair (issued by kubexm, so the API server
verifies it), its own kubelet and kube-proxy kubeconfigs, the two binaries, the
KubeletConfiguration and KubeProxyConfiguration files and the two units. Role labels and the
labels a kubelet may not set on itself are applied from the first master once the Node has
registered; taints are registered by the kubelet (``registerWithTaints``) and ensured again
through the API. Nothing is planned in kubeadm mode (its label task reuses ``label_fragment``).
"""

from __future__ import annotations

from typing import ClassVar

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.hosts import Host
from kubexm.apis.v1alpha1.runtime import ContainerdRuntime, CrioRuntime, DockerRuntime
from kubexm.common.paths import KUBE_PROXY_CONFIG, KUBELET_CONFIG
from kubexm.pki.kubeconfig import host_path
from kubexm.plan import Fragment, PlanContext
from kubexm.runtime.workdir import WorkDir
from kubexm.step.kubernetes.configs import (
    kube_proxy_configuration,
    kubelet_args,
    kubelet_configuration,
    node_labels,
    node_taints,
)
from kubexm.step.kubernetes.flags import KUBE_PROXY, KUBELET, check_removed, user_settings
from kubexm.step.kubernetes.install_kube_binaries import InstallKubeBinaries, KubeBinary
from kubexm.step.kubernetes.render import render_document, render_unit, settings_digest
from kubexm.step.kubernetes.start_kube_services import ServiceSettings, StartKubeServices
from kubexm.step.kubernetes.upload_kube_pki import PRIVATE, HostFile, UploadKubePki
from kubexm.step.kubernetes.write_kube_config import UnitFile, WriteKubeConfig
from kubexm.step.kubernetes.write_node_labels import Taint, WriteNodeLabels
from kubexm.task.base import register_task
from kubexm.task.control_plane import (
    SUPER_ADMIN_CONF,
    BinaryModeTask,
    binary_digests,
    cert_only,
    kube_binaries,
    kube_version,
    part_id,
    pki_file,
)
from kubexm.task.etcd import cluster_of, prepare_pki, work_dir_of
from kubexm.task.runtime import runtime_nodes


def proxy_enabled(cluster: Cluster) -> bool:
    return cluster.spec.kubernetes.kube_proxy.enable


def node_binaries(cluster: Cluster) -> tuple[str, ...]:
    """kubelet, and kube-proxy unless the CNI replaces it."""
    return ("kubelet", "kube-proxy") if proxy_enabled(cluster) else ("kubelet",)


def runtime_units(cluster: Cluster) -> tuple[str, ...]:
    """The systemd units of the container runtime the kubelet needs running."""
    runtime = cluster.spec.kubernetes.container_runtime
    if isinstance(runtime, ContainerdRuntime):
        return ("containerd.service",)
    if isinstance(runtime, DockerRuntime):
        return ("docker.service", "cri-docker.service")
    if isinstance(runtime, CrioRuntime):
        return ("crio.service",)
    return ("isulad.service",)


def node_pki(cluster: Cluster, work: WorkDir, node: str) -> tuple[HostFile, ...]:
    """The CA certificate, the kubelet serving pair and the node's two kubeconfigs."""
    files = [cert_only(work.pki, "ca"), *pki_file(work.pki, f"kubelet/{node}-serving")]
    confs = [f"kubelet-{node}.conf"]
    if proxy_enabled(cluster):
        confs.append(f"kube-proxy-{node}.conf")
    for name in confs:
        files.append(HostFile(host_path(name), (work.kubeconfig / name).read_bytes(), PRIVATE))
    return tuple(files)


def node_config(cluster: Cluster, host: Host) -> tuple[tuple[HostFile, ...], tuple[UnitFile, ...]]:
    """The kubelet (and kube-proxy) config files and units of ``host``."""
    version = cluster.spec.kubernetes.version
    kubelet_doc = render_document(kubelet_configuration(cluster, host), "kubelet configuration")
    args = {"config": KUBELET_CONFIG, "kubeconfig": host_path(f"kubelet-{host.name}.conf")}
    args.update(kubelet_args(cluster, host))
    files = [HostFile(KUBELET_CONFIG, kubelet_doc.encode())]
    kubelet_unit = render_unit(KUBELET, version, args, after=runtime_units(cluster))
    units = [UnitFile("kubelet.service", kubelet_unit)]
    if proxy_enabled(cluster):
        doc = render_document(kube_proxy_configuration(cluster, host), "kube-proxy configuration")
        extra, _ = user_settings(cluster, KUBE_PROXY)
        check_removed(cluster, KUBE_PROXY, extra, {})
        proxy_args = {"config": KUBE_PROXY_CONFIG, **dict(sorted(extra.items()))}
        files.append(HostFile(KUBE_PROXY_CONFIG, doc.encode()))
        units.append(UnitFile("kube-proxy.service", render_unit(KUBE_PROXY, version, proxy_args)))
    return tuple(files), tuple(units)


def node_services(
    files: tuple[HostFile, ...],
    units: tuple[UnitFile, ...],
    binaries: tuple[KubeBinary, ...] = (),
) -> tuple[ServiceSettings, ...]:
    """Each unit with the digest of its unit text, its config file (same order) and its
    binary's content, so a new binary restarts the service too."""
    built = binary_digests(binaries)
    pairs = zip(units, files, strict=True)
    return tuple(
        ServiceSettings(
            name := u.name.removesuffix(".service"),
            settings_digest(u.content, f.data.decode(), built.get(name, "")),
        )
        for u, f in pairs
    )


def node_hosts(cluster: Cluster) -> list[Host]:
    """Every master and worker, each once, masters first."""
    return [cluster.host(name) for name in runtime_nodes(cluster)]


@register_task
class KubeletInstallTask(BinaryModeTask):
    """Per node: CA, serving pair, kubeconfigs, binaries, config files and units."""

    name: ClassVar[str] = "kubelet/install"
    description: ClassVar[str] = "push kubelet and kube-proxy certificates, binaries and units"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster, work = cluster_of(ctx), work_dir_of(ctx)
        version, nodes = kube_version(cluster), node_hosts(cluster)
        names = node_binaries(cluster)
        binaries = {h.name: kube_binaries(work, names, version, h.arch) for h in nodes}
        prepare_pki(cluster, work)
        fragment = Fragment(self.name)
        for host in nodes:
            files, units = node_config(cluster, host)
            steps = (
                UploadKubePki(node_pki(cluster, work, host.name)),
                InstallKubeBinaries(binaries[host.name], version),
                WriteKubeConfig(files, units),
            )
            after: list[str] = []
            for step in steps:
                nid = part_id(step.name, "node", host.name)
                after = [fragment.add(step, host.name, after=after, id=nid)]
        return fragment


@register_task
class KubeletStartTask(BinaryModeTask):
    """Per node: start (or restart) kubelet and kube-proxy."""

    name: ClassVar[str] = "kubelet/start"
    description: ClassVar[str] = "start kubelet and kube-proxy on every node"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster, work = cluster_of(ctx), work_dir_of(ctx)
        version = kube_version(cluster)
        fragment = Fragment(self.name)
        for host in node_hosts(cluster):
            binaries = kube_binaries(work, node_binaries(cluster), version, host.arch)
            step = StartKubeServices(node_services(*node_config(cluster, host), binaries))
            fragment.add(step, host.name, id=part_id(step.name, "node", host.name))
        return fragment


@register_task
class KubeletLabelTask(BinaryModeTask):
    """On the first master, per node: role labels, configured labels and taints."""

    name: ClassVar[str] = "kubelet/labels"
    description: ClassVar[str] = "label and taint every node through the API"

    def build(self, ctx: PlanContext) -> Fragment:
        return label_fragment(self.name, cluster_of(ctx), SUPER_ADMIN_CONF)


def label_fragment(name: str, cluster: Cluster, kubeconfig: str) -> Fragment:
    """On the first master, one step per node: its role labels, the labels of its config
    and its taints, set through the API with ``kubeconfig`` (a path on the master)."""
    first = cluster.masters[0].name
    fragment = Fragment(name)
    for host in node_hosts(cluster):
        labels = tuple(sorted(node_labels(cluster, host).items()))
        found = node_taints(cluster, host)
        taints = tuple(Taint(t["key"], t["effect"], t.get("value", "")) for t in found)
        step = WriteNodeLabels(host.name, labels, taints, kubeconfig)
        fragment.add(step, first, id=part_id(step.name, host.name, first))
    return fragment
