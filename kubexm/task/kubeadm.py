"""Tasks of kubeadm mode (``spec.kubernetes.type: kubeadm``): binaries and kubelet unit on
every node, the pre-seeded PKI on the masters, ``kubeadm init`` on the first master, the
per-run join credentials, the control-plane joins, the worker joins and the token removal.

Planning is pure towards the hosts; like the etcd tasks it brings the local PKI up to date
(``ensure_pki``) so certificates travel as step inputs, and it pins the cluster CA's public
key hash into every join (``caCertHashes``). Join tokens and certificate keys are never step
inputs: they are made on the first master while the run executes (see
``kubexm.step.kubeadm.credentials``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.etcd import ExternalEtcd, KubexmEtcd
from kubexm.apis.v1alpha1.hosts import Host
from kubexm.common import network, ports, roles
from kubexm.common import types as t
from kubexm.common.paths import ADMIN_CONF, BIN_DIR, KUBELET_CONFIG, KUBELET_DIR, KUBERNETES_PKI
from kubexm.errors import ArtifactError, PlanError
from kubexm.plan import Fragment, PlanContext
from kubexm.resource.bom import default_versions, image_repository, strip_v
from kubexm.resource.resolve import file_artifact
from kubexm.resource.urls import effective_zone, mirror_image, private_image
from kubexm.runtime.workdir import WorkDir
from kubexm.step.base import Step
from kubexm.step.etcd.upload_etcd_certs import CertFile
from kubexm.step.kubeadm.create_join_token import CreateJoinToken
from kubexm.step.kubeadm.init_control_plane import InitControlPlane
from kubexm.step.kubeadm.join_control_plane import JoinControlPlane
from kubexm.step.kubeadm.join_worker import JoinWorker
from kubexm.step.kubeadm.remove_join_token import RemoveJoinToken
from kubexm.step.kubeadm.render import (
    ClusterSettings,
    EtcdSettings,
    NodeSettings,
    ca_cert_hash,
    render_file,
    render_init,
)
from kubexm.step.kubeadm.upload_control_plane_certs import UploadControlPlaneCerts
from kubexm.step.kubeadm.upload_kubeadm_pki import UploadKubeadmPki
from kubexm.step.kubeadm.write_admin_kubeconfig import WriteAdminKubeconfig
from kubexm.step.kubeadm.write_kubeadm_config import WriteKubeadmConfig
from kubexm.step.kubeadm.write_kubelet_unit import WriteKubeletUnit
from kubexm.step.kubernetes.configs import (
    cri_socket,
    kube_proxy_configuration,
    kubelet_args,
    kubelet_configuration,
    node_taints,
)
from kubexm.step.kubernetes.flags import COMPONENTS, component_args
from kubexm.step.kubernetes.install_kube_binaries import InstallKubeBinaries, KubeBinary
from kubexm.step.kubernetes.write_kube_config import WriteKubeConfig
from kubexm.task.base import Task, register_task
from kubexm.task.control_plane import apiserver_files
from kubexm.task.etcd import cluster_of, prepare_pki, work_dir_of
from kubexm.task.kubelet import label_fragment

BINARIES = ("kubeadm", "kubelet", "kubectl")
#: The unit the kubelet starts after, per container runtime.
RUNTIME_UNITS = {
    t.RUNTIME_CONTAINERD: "containerd.service",
    t.RUNTIME_DOCKER: "cri-docker.service",
    t.RUNTIME_CRIO: "crio.service",
    t.RUNTIME_ISULA: "isulad.service",
}
#: kubeadm join refuses a non-empty manifests dir unless told this check may fail.
MANIFESTS_CHECK = "DirAvailable--etc-kubernetes-manifests"
#: CA pairs and the service-account pair every master gets (local name under pki/).
SHARED_PKI = ("ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub")
ETCD_PKI_FILES = {
    t.ETCD_KUBEXM: ("etcd/ca.crt", "apiserver-etcd-client.crt", "apiserver-etcd-client.key"),
    t.ETCD_KUBEADM: ("etcd/ca.crt", "etcd/ca.key"),
    t.ETCD_EXTERNAL: (),
}


def kubeadm_mode(cluster: Cluster) -> bool:
    """True when kubeadm makes the control plane (``kubernetes.type: kubeadm``)."""
    return cluster.spec.kubernetes.type == t.KUBERNETES_KUBEADM


def first_master(cluster: Cluster) -> Host:
    """The host ``kubeadm init`` runs on; ``PlanError`` without masters."""
    if not cluster.masters:
        raise PlanError("kubeadm mode needs a master", "add a host to roleGroups.master")
    return cluster.masters[0]


def kube_nodes(cluster: Cluster) -> list[Host]:
    """Masters, then workers that are not masters (each once)."""
    seen = {h.name: h for h in cluster.masters}
    for host in cluster.hosts_in_role(roles.ROLE_WORKER):
        seen.setdefault(host.name, host)
    return list(seen.values())


def pure_workers(cluster: Cluster) -> list[Host]:
    """Workers that are not masters: the nodes that join without a control plane."""
    masters = {h.name for h in cluster.masters}
    return [h for h in cluster.hosts_in_role(roles.ROLE_WORKER) if h.name not in masters]


def target_image(cluster: Cluster, ref: str) -> str:
    """Where ``ref`` is pulled from for this cluster: zone mirror or private registry."""
    mirroring = cluster.spec.registry.mirroring
    if mirroring.private_registry:
        return private_image(ref, mirroring)
    return mirror_image(ref, effective_zone(cluster.spec.global_.zone))


def split_image(ref: str) -> tuple[str, str]:
    """``repo/name:tag`` -> (``repo/name``, ``tag``)."""
    repo, _, tag = ref.rpartition(":")
    return repo, tag


def control_plane_repository(cluster: Cluster) -> str:
    """kubeadm's ``imageRepository``: the folder of the control-plane images."""
    probe = f"{image_repository('kube_control_plane')}/kube-apiserver:v0"
    return target_image(cluster, probe).rsplit("/", 1)[0]


def bom_image(cluster: Cluster, key: str, tag_key: str) -> tuple[str, str]:
    """The (repository, tag) of a BOM image for this cluster's minor and registry."""
    tag = default_versions(cluster.spec.kubernetes.version)[tag_key]
    return split_image(target_image(cluster, f"{image_repository(key)}:{tag}"))


def etcd_settings(cluster: Cluster) -> EtcdSettings:
    """External endpoints with the apiserver's client pair, or kubeadm's stacked etcd."""
    etcd = cluster.spec.etcd
    if isinstance(etcd, ExternalEtcd):
        ext = etcd.external
        return EtcdSettings(True, tuple(ext.endpoints), ext.ca_file, ext.cert_file, ext.key_file)
    if isinstance(etcd, KubexmEtcd):
        port = etcd.cluster.client_port
        urls = tuple(_url(h.internal_ip, port) for h in cluster.etcd_members())
        pki = KUBERNETES_PKI
        return EtcdSettings(
            True,
            urls,
            f"{pki}/etcd/ca.crt",
            f"{pki}/apiserver-etcd-client.crt",
            f"{pki}/apiserver-etcd-client.key",
        )
    repo, tag = bom_image(cluster, "etcd", "etcd_image_tag")
    if etcd.version:
        tag = f"v{strip_v(etcd.version)}"
    return EtcdSettings(False, image=(repo, tag))


def _url(ip: str, port: int) -> str:
    return f"https://[{ip}]:{port}" if ":" in ip else f"https://{ip}:{port}"


def apiserver_volumes(args: dict[str, str]) -> tuple[dict[str, Any], ...]:
    """hostPath mounts the apiserver static pod needs for the files its flags name (audit
    policy and log, encryption config); kubeadm mounts only the PKI and CA folders."""
    volumes: list[dict[str, Any]] = []
    if "audit-policy-file" in args:
        path = args["audit-policy-file"]
        volumes.append(_volume("audit-policy", path, read_only=True, path_type="File"))
    if "audit-log-path" in args:
        folder = args["audit-log-path"].rsplit("/", 1)[0] or "/"
        volumes.append(_volume("audit-log", folder, read_only=False, path_type="DirectoryOrCreate"))
    if "encryption-provider-config" in args:
        path = args["encryption-provider-config"]
        volumes.append(_volume("encryption-config", path, read_only=True, path_type="File"))
    return tuple(volumes)


def _volume(name: str, path: str, *, read_only: bool, path_type: str) -> dict[str, Any]:
    return {
        "name": name,
        "hostPath": path,
        "mountPath": path,
        "readOnly": read_only,
        "pathType": path_type,
    }


def cluster_settings(cluster: Cluster) -> ClusterSettings:
    """Everything the cluster-wide kubeadm documents say.

    Raises ``ConfigError`` for a flag or feature gate the Kubernetes version removed.
    """
    spec = cluster.spec
    args = {c: component_args(cluster, c) for c in COMPONENTS}
    kubelet = dict(kubelet_configuration(cluster, first_master(cluster)))
    kubelet.pop("registerWithTaints", None)  # per node: nodeRegistration.taints
    proxy = kube_proxy_configuration(cluster) if spec.kubernetes.kube_proxy.enable else None
    cpe = spec.control_plane_endpoint
    return ClusterSettings(
        kubernetes_version=strip_v(spec.kubernetes.version),
        cluster_name=cluster.cluster_name,
        endpoint=f"{cpe.domain}:{cpe.port}",
        pod_subnet=spec.network.kube_pods_cidr,
        service_subnet=spec.network.kube_service_cidr,
        dns_domain=spec.kubernetes.dns_domain,
        cert_sans=tuple(cluster.apiserver_sans()),
        image_repository=control_plane_repository(cluster),
        etcd=etcd_settings(cluster),
        extra_args=args,
        kubelet=kubelet,
        kube_proxy=proxy,
        cri_socket=cri_socket(cluster),
        dns_image=bom_image(cluster, "coredns", "coredns_image_tag"),
        extra_volumes={"kube-apiserver": apiserver_volumes(args["kube-apiserver"])},
    )


def _static_lb_pod(cluster: Cluster, host: Host, master: bool) -> bool:
    """True when the LB module puts a static pod on ``host`` before it joins."""
    kind = cluster.lb_kind
    if master:
        return kind == t.LB_KUBE_VIP
    return kind in t.LB_KINDS_WORKER_LOCAL and cluster.spec.kubernetes.type == t.KUBERNETES_KUBEADM


def node_settings(cluster: Cluster, host: Host, *, joining: bool = True) -> NodeSettings:
    """One node's registration; masters always get an explicit taint list."""
    master = roles.ROLE_MASTER in cluster.roles_of(host.name)
    taints = node_taints(cluster, host)
    ignore = (MANIFESTS_CHECK,) if joining and _static_lb_pod(cluster, host, master) else ()
    return NodeSettings(
        name=host.name,
        address=host.internal_ip,
        control_plane=master,
        bind_port=ports.APISERVER,
        taints=tuple(taints) if master or taints else None,
        kubelet_args=kubelet_args(cluster, host),
        ignore_preflight=ignore,
    )


def discovery_endpoint(cluster: Cluster, host: Host) -> str:
    """Where ``host`` finds the cluster to join: the control-plane endpoint, unless that
    resolves on ``host`` to itself or to a local proxy that only runs after the join; then
    the first master's apiserver directly (its address is in the apiserver SANs)."""
    target = cluster.api_endpoint_for(host.name)
    if target.address in (host.internal_ip, network.LOCAL_LB_ADDRESS):
        ip = first_master(cluster).internal_ip
        return f"[{ip}]:{ports.APISERVER}" if ":" in ip else f"{ip}:{ports.APISERVER}"
    return f"{target.domain}:{target.port}"


def ca_hashes(pki_dir: Path) -> tuple[str, ...]:
    """The pin of the cluster CA every join checks discovery against."""
    return (ca_cert_hash((pki_dir / "ca.crt").read_bytes()),)


def cluster_ca_pins(cluster: Cluster, work: WorkDir) -> tuple[str, ...]:
    """``ca_hashes`` of the work dir's CA, making the PKI first when there is none yet.

    ``KubeadmPkiUploadTask`` brings the PKI up to date earlier in the same plan, so the
    (slow) ``ensure_pki`` runs here only when this task is planned on its own.
    """
    if not (work.pki / "ca.crt").is_file():
        prepare_pki(cluster, work)
    return ca_hashes(work.pki)


def master_pki(cluster: Cluster, pki_dir: Path) -> tuple[CertFile, ...]:
    """The files pre-seeded on every master, with their host paths."""
    names = (*SHARED_PKI, *ETCD_PKI_FILES[cluster.spec.etcd.type])
    return tuple(
        CertFile(f"{KUBERNETES_PKI}/{name}", (pki_dir / name).read_bytes()) for name in names
    )


def binaries(work: WorkDir, version: str, arch: str) -> tuple[KubeBinary, ...]:
    """kubeadm, kubelet and kubectl from the artifact cache; ``ArtifactError`` if missing."""
    found = []
    for name in BINARIES:
        path = work.artifacts / file_artifact(name, version, arch).cache_path
        if not path.is_file():
            raise ArtifactError(
                f"{name} {version} for {arch} is not in the artifact cache: {path}",
                "run 'kubexm download' (or unpack an offline bundle) before deploying",
            )
        found.append(KubeBinary(name, path))
    return tuple(found)


def kubelet_unit(cluster: Cluster, os_family: str) -> WriteKubeletUnit:
    """The kubelet unit files for a host of ``os_family``."""
    runtime = RUNTIME_UNITS.get(cluster.spec.kubernetes.container_runtime.type, "")
    env_path = "/etc/sysconfig/kubelet" if os_family in ("rhel", "suse") else "/etc/default/kubelet"
    bin_dir = BIN_DIR
    return WriteKubeletUnit(
        unit=render_file("kubelet.service.j2", bin_dir=bin_dir, runtime_unit=runtime),
        drop_in=render_file(
            "10-kubeadm.conf.j2",
            bin_dir=bin_dir,
            kubelet_config=KUBELET_CONFIG,
            kubeadm_flags_env=f"{KUBELET_DIR}/kubeadm-flags.env",
            extra_args_file=env_path,
        ),
        env_path=env_path,
        env=render_file("kubelet.env.j2", extra_args=""),
    )


class _KubeadmTask(Task):
    """Planned only in kubeadm mode."""

    def is_required(self, ctx: PlanContext) -> bool:
        return kubeadm_mode(cluster_of(ctx))


@register_task
class KubeadmBinariesInstallTask(_KubeadmTask):
    """Per node: kubeadm, kubelet and kubectl, then the kubelet unit (enabled, not started)."""

    name: ClassVar[str] = "kubeadm/install"
    description: ClassVar[str] = "install kubeadm, kubelet, kubectl and the kubelet unit"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster, work = cluster_of(ctx), work_dir_of(ctx)
        version = strip_v(cluster.spec.kubernetes.version)
        fragment = Fragment(self.name)
        for host in kube_nodes(cluster):
            family = str(ctx.facts(host.name).get("os_family", ""))
            install = InstallKubeBinaries(binaries(work, version, host.arch), version)
            fragment.chain([(install, host.name), (kubelet_unit(cluster, family), host.name)])
        return fragment


@register_task
class KubeadmPkiUploadTask(_KubeadmTask):
    """Per master: the CAs, service-account pair and etcd client files kubeadm reuses, then
    the audit policy and encryption config the apiserver flags name (when enabled)."""

    name: ClassVar[str] = "kubeadm/upload-pki"
    description: ClassVar[str] = "pre-seed /etc/kubernetes/pki on the masters"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        pki_dir = prepare_pki(cluster, work_dir_of(ctx))
        steps: list[Step] = [UploadKubeadmPki(master_pki(cluster, pki_dir))]
        extra = apiserver_files(cluster, pki_dir)
        if extra:
            steps.append(WriteKubeConfig(files=extra))
        fragment = Fragment(self.name)
        for master in cluster.masters:
            fragment.chain((step, master.name) for step in steps)
        return fragment


@register_task
class KubeadmInitTask(_KubeadmTask):
    """First master: config file, ``kubeadm init``, admin kubeconfig for root."""

    name: ClassVar[str] = "kubeadm/init"
    description: ClassVar[str] = "initialise the control plane on the first master"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        first = first_master(cluster)
        node = node_settings(cluster, first, joining=False)
        settings = cluster_settings(cluster)
        config = render_init(settings, node)
        init = InitControlPlane(kube_proxy=settings.kube_proxy is not None)
        steps = (WriteKubeadmConfig(config), init, WriteAdminKubeconfig())
        fragment = Fragment(self.name)
        fragment.chain((step, first.name) for step in steps)
        return fragment


@register_task
class KubeadmCredentialsTask(_KubeadmTask):
    """First master: this run's join token, and the certificate upload for master joins."""

    name: ClassVar[str] = "kubeadm/credentials"
    description: ClassVar[str] = "make this run's join token and certificate key"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        first = first_master(cluster)
        others = tuple(h.name for h in kube_nodes(cluster) if h.name != first.name)
        masters = tuple(h.name for h in cluster.masters[1:])
        fragment = Fragment(self.name)
        if not others:
            return fragment
        token = fragment.add(CreateJoinToken(others), first.name)
        if masters:
            node = node_settings(cluster, first, joining=False)
            upload = UploadControlPlaneCerts(masters, cluster_settings(cluster), node)
            fragment.add(upload, first.name, after=[token])
        return fragment


def _joins(ctx: PlanContext, hosts: list[Host], master: bool, name: str) -> Fragment:
    cluster = cluster_of(ctx)
    settings = cluster_settings(cluster)
    pins = cluster_ca_pins(cluster, work_dir_of(ctx))
    fragment = Fragment(name)
    for host in hosts:
        node = node_settings(cluster, host)
        args = (settings, node, discovery_endpoint(cluster, host), pins)
        if master:
            fragment.chain(
                [(JoinControlPlane(*args), host.name), (WriteAdminKubeconfig(), host.name)]
            )
        else:
            fragment.add(JoinWorker(*args), host.name)
    return fragment


@register_task
class KubeadmMasterJoinTask(_KubeadmTask):
    """Every other master: ``kubeadm join`` with a control plane (one at a time)."""

    name: ClassVar[str] = "kubeadm/join-masters"
    description: ClassVar[str] = "join the other masters to the control plane"

    def build(self, ctx: PlanContext) -> Fragment:
        return _joins(ctx, cluster_of(ctx).masters[1:], True, self.name)


@register_task
class KubeadmWorkerJoinTask(_KubeadmTask):
    """Every worker that is not a master: ``kubeadm join`` (in parallel)."""

    name: ClassVar[str] = "kubeadm/join-workers"
    description: ClassVar[str] = "join the workers"

    def build(self, ctx: PlanContext) -> Fragment:
        return _joins(ctx, pure_workers(cluster_of(ctx)), False, self.name)


@register_task
class KubeadmTokenRemoveTask(_KubeadmTask):
    """First master: delete this run's join token once every node joined."""

    name: ClassVar[str] = "kubeadm/remove-token"
    description: ClassVar[str] = "delete this run's join token"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        fragment = Fragment(self.name)
        if len(kube_nodes(cluster)) > 1:
            fragment.add(RemoveJoinToken(), first_master(cluster).name)
        return fragment


@register_task
class KubeadmNodeLabelTask(_KubeadmTask):
    """First master, once every node joined: the worker role label, the labels of each
    host's config (kubeadm sets none of them) and its taints, through the API."""

    name: ClassVar[str] = "kubeadm/labels"
    description: ClassVar[str] = "label and taint every node through the API"

    def build(self, ctx: PlanContext) -> Fragment:
        return label_fragment(self.name, cluster_of(ctx), ADMIN_CONF)
