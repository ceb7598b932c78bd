"""Tasks of a binary-mode control plane (``kubernetes.type: kubexm``) on the masters.

kube-apiserver, kube-controller-manager and kube-scheduler run as systemd services with the
best-practice flags of ``step.kubernetes.flags``. Planning reads the config and the work dir:
the local PKI is brought up to date with ``ensure_pki`` (idempotent) so certificates and
kubeconfigs travel as step inputs; the Secrets encryption key, when encryption is on, is
generated once into ``pki/encryption-key`` (0600) and never logged. Nothing is planned in
kubeadm mode.

``super-admin.conf`` (system:masters) goes to each master with the local API server as its
server, so the readiness wait, the RBAC and the node labels never depend on the load balancer;
``admin.conf`` keeps the control-plane endpoint and is also ``/root/.kube/config``.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import ClassVar

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.etcd import KubexmEtcd
from kubexm.apis.v1alpha1.hosts import Host
from kubexm.common.paths import ROOT_KUBECONFIG
from kubexm.errors import ArtifactError, PlanError
from kubexm.pki import host_stem
from kubexm.pki.kubeconfig import KubeconfigSpec, parse_kubeconfig, render_kubeconfig
from kubexm.pki.model import DEFAULT_ADMIN_GROUP, DEFAULT_LOCAL_APISERVER
from kubexm.pki.store import read_bytes, write_atomic
from kubexm.plan import Fragment, PlanContext, node_id
from kubexm.resource.bom import strip_v
from kubexm.resource.resolve import file_artifact
from kubexm.runtime.workdir import WorkDir
from kubexm.step.kubernetes.flags import (
    APISERVER,
    COMPONENTS,
    ENCRYPTION_CONFIG,
    binary_mode,
    component_args,
    conf,
    secrets_encryption,
)
from kubexm.step.kubernetes.install_kube_binaries import (
    InstallKubeBinaries,
    KubeBinary,
    local_sha256,
)
from kubexm.step.kubernetes.install_kube_rbac import InstallKubeRbac
from kubexm.step.kubernetes.render import (
    render_audit_policy,
    render_encryption_config,
    render_rbac,
    render_unit,
    settings_digest,
    unit_name,
)
from kubexm.step.kubernetes.start_kube_services import ServiceSettings, StartKubeServices
from kubexm.step.kubernetes.upload_kube_pki import PRIVATE, PUBLIC, HostFile, UploadKubePki
from kubexm.step.kubernetes.wait_kube_apiserver import WaitKubeApiserver
from kubexm.step.kubernetes.write_kube_config import UnitFile, WriteKubeConfig
from kubexm.task.base import Task, register_task
from kubexm.task.etcd import cluster_of, prepare_pki, work_dir_of

MASTER_BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
SUPER_ADMIN_CONF = conf("super-admin.conf")
ENCRYPTION_KEY = "encryption-key"
#: The user of the apiserver's kubelet client certificate (``pki.table.LEAVES``).
APISERVER_KUBELET_USER = "kube-apiserver-kubelet-client"
BOOTSTRAP_GROUP = "system:bootstrappers:kubeadm:default-node-token"
_MISSING_HINT = "run 'kubexm download -f <config>' (or unpack the offline bundle) first"


def kube_version(cluster: Cluster) -> str:
    """``spec.kubernetes.version`` without the ``v``."""
    return strip_v(cluster.spec.kubernetes.version)


def kube_binaries(
    work: WorkDir, names: tuple[str, ...], version: str, arch: str
) -> tuple[KubeBinary, ...]:
    """The release files ``names`` of ``version``/``arch`` in the work dir's artifacts.

    Raises ``ArtifactError`` naming the first missing file.
    """
    found = []
    for name in names:
        path = work.artifacts / file_artifact(name, version, arch).cache_path
        if not path.is_file():
            what = f"{name} {version} for {arch}"
            raise ArtifactError(f"{what} is not in the artifacts: {path}", _MISSING_HINT)
        found.append(KubeBinary(name, path))
    return tuple(found)


def pki_file(pki_dir: Path, name: str) -> tuple[HostFile, ...]:
    """Local ``<name>.crt``/``.key`` (or ``sa.key``/``sa.pub``) as files for the host."""
    if name == "sa":
        return (
            HostFile(f"{host_stem('sa')}.key", (pki_dir / "sa.key").read_bytes(), PRIVATE),
            HostFile(f"{host_stem('sa')}.pub", (pki_dir / "sa.pub").read_bytes(), PUBLIC),
        )
    stem = host_stem(name)
    if stem is None:
        raise PlanError(f"PKI item {name} has no place on a host", "a kubexm bug: report it")
    return tuple(
        HostFile(f"{stem}.{ext}", (pki_dir / f"{name}.{ext}").read_bytes(), mode)
        for ext, mode in (("crt", PUBLIC), ("key", PRIVATE))
    )


def cert_only(pki_dir: Path, name: str) -> HostFile:
    """Only the certificate of a CA whose key stays on the control machine."""
    return HostFile(f"{host_stem(name)}.crt", (pki_dir / f"{name}.crt").read_bytes(), PUBLIC)


def local_super_admin(kubeconfig_dir: Path, cluster: Cluster) -> bytes:
    """``super-admin.conf`` re-pointed at the master's own API server."""
    data = parse_kubeconfig((kubeconfig_dir / "super-admin.conf").read_bytes(), "super-admin.conf")
    if data.cert_pem is None or data.key_pem is None:
        raise PlanError("super-admin.conf has no client certificate", "run 'kubexm certs generate'")
    user, local = "kubernetes-super-admin", DEFAULT_LOCAL_APISERVER
    spec = KubeconfigSpec("super-admin.conf", "clients/super-admin", user, local)
    return render_kubeconfig(spec, cluster.cluster_name, data.ca_pem, data.cert_pem, data.key_pem)


def master_pki(cluster: Cluster, work: WorkDir) -> tuple[HostFile, ...]:
    """The CA pair, serving and client pairs, sa keys and kubeconfigs a master needs."""
    pki_dir, confs = work.pki, work.kubeconfig
    names = ["ca", "apiserver", "apiserver-kubelet-client", "front-proxy-client", "sa"]
    if isinstance(cluster.spec.etcd, KubexmEtcd):
        names.append("apiserver-etcd-client")
    files = [item for name in names for item in pki_file(pki_dir, name)]
    files += [cert_only(pki_dir, "front-proxy-ca")]
    if isinstance(cluster.spec.etcd, KubexmEtcd):
        files.append(cert_only(pki_dir, "etcd/ca"))
    admin = (confs / "admin.conf").read_bytes()
    for name in ("admin.conf", "controller-manager.conf", "scheduler.conf"):
        files.append(HostFile(conf(name), (confs / name).read_bytes(), PRIVATE))
    files.append(HostFile(SUPER_ADMIN_CONF, local_super_admin(confs, cluster), PRIVATE))
    files.append(HostFile(ROOT_KUBECONFIG, admin, PRIVATE))
    return tuple(files)


def ensure_encryption_key(pki_dir: Path) -> str:
    """The cluster's Secrets encryption key (base64 of 32 random bytes), created once."""
    path = pki_dir / ENCRYPTION_KEY
    existing = read_bytes(path)
    if existing:
        return existing.decode("ascii").strip()
    key = base64.b64encode(os.urandom(32)).decode("ascii")
    write_atomic(path, (key + "\n").encode("ascii"), 0o600)
    return key


def apiserver_files(cluster: Cluster, pki_dir: Path) -> tuple[HostFile, ...]:
    """The audit policy (when auditing is on) and the encryption config (when encryption
    is on) the API server reads."""
    api = cluster.spec.kubernetes.api_server
    files = []
    if api.audit.enabled:
        policy = render_audit_policy(api.audit.policy_file_content).encode()
        files.append(HostFile(api.audit.policy_file, policy, PRIVATE))
    if secrets_encryption(cluster):
        text = render_encryption_config(ensure_encryption_key(pki_dir)).encode()
        files.append(HostFile(ENCRYPTION_CONFIG, text, PRIVATE))
    return tuple(files)


def control_plane_units(cluster: Cluster, master: Host) -> tuple[UnitFile, ...]:
    """The three units of ``master`` for the configured version."""
    version = cluster.spec.kubernetes.version
    return tuple(
        UnitFile(unit_name(c), render_unit(c, version, component_args(cluster, c, master)))
        for c in COMPONENTS
    )


def binary_digests(binaries: tuple[KubeBinary, ...]) -> dict[str, str]:
    """Binary name -> sha256 of its local release file."""
    return {b.name: local_sha256(b.local) for b in binaries}


def service_settings(
    units: tuple[UnitFile, ...],
    files: tuple[HostFile, ...],
    binaries: tuple[KubeBinary, ...] = (),
) -> tuple[ServiceSettings, ...]:
    """What each service is started with: its unit and binary, plus the API server's config
    files; a change to any of them restarts the service."""
    extra = [f.data.decode() for f in files]
    built = binary_digests(binaries)
    out = []
    for u in units:
        name = u.name.removesuffix(".service")
        parts = [*(extra if u.name == unit_name(APISERVER) else []), built.get(name, "")]
        out.append(ServiceSettings(name, settings_digest(u.content, *parts)))
    return tuple(out)


def part_id(step_name: str, part: str, host: str) -> str:
    """A node id for a step class planned twice on one host (control plane and node)."""
    return node_id(f"{step_name}/{part}", host)


class BinaryModeTask(Task):
    """Planned only in binary mode with at least one master."""

    def is_required(self, ctx: PlanContext) -> bool:
        cluster = cluster_of(ctx)
        return binary_mode(cluster) and bool(cluster.masters)


@register_task
class ControlPlaneInstallTask(BinaryModeTask):
    """Per master: certificates and kubeconfigs, binaries, config files and units."""

    name: ClassVar[str] = "control-plane/install"
    description: ClassVar[str] = "push control-plane certificates, binaries and units"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster, work = cluster_of(ctx), work_dir_of(ctx)
        version = kube_version(cluster)
        # A missing binary is reported before any certificate is generated.
        binaries = {
            m.name: kube_binaries(work, MASTER_BINARIES, version, m.arch) for m in cluster.masters
        }
        prepare_pki(cluster, work)
        pki, files = master_pki(cluster, work), apiserver_files(cluster, work.pki)
        fragment = Fragment(self.name)
        for master in cluster.masters:
            steps = (
                UploadKubePki(pki),
                InstallKubeBinaries(binaries[master.name], version),
                WriteKubeConfig(files, control_plane_units(cluster, master)),
            )
            after: list[str] = []
            for step in steps:
                nid = part_id(step.name, "control-plane", master.name)
                after = [fragment.add(step, master.name, after=after, id=nid)]
        return fragment


@register_task
class ControlPlaneStartTask(BinaryModeTask):
    """Per master: start (or restart) the three services, then wait for ``/readyz``."""

    name: ClassVar[str] = "control-plane/start"
    description: ClassVar[str] = "start the control plane and wait until it is ready"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster, work = cluster_of(ctx), work_dir_of(ctx)
        files = apiserver_files(cluster, work.pki)
        fragment = Fragment(self.name)
        version = kube_version(cluster)
        for master in cluster.masters:
            binaries = kube_binaries(work, COMPONENTS, version, master.arch)
            services = service_settings(control_plane_units(cluster, master), files, binaries)
            nid = part_id(StartKubeServices.name, "control-plane", master.name)
            start = fragment.add(StartKubeServices(services), master.name, id=nid)
            fragment.add(WaitKubeApiserver(SUPER_ADMIN_CONF), master.name, after=[start])
        return fragment


@register_task
class ControlPlaneRbacTask(BinaryModeTask):
    """On the first master: the RBAC kubeadm would have created."""

    name: ClassVar[str] = "control-plane/rbac"
    description: ClassVar[str] = "create the RBAC of the API server, admins and node bootstrap"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        manifest = render_rbac(DEFAULT_ADMIN_GROUP, APISERVER_KUBELET_USER, BOOTSTRAP_GROUP)
        fragment = Fragment(self.name)
        fragment.add(InstallKubeRbac(manifest, SUPER_ADMIN_CONF), cluster.masters[0].name)
        return fragment
