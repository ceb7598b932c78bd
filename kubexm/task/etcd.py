"""Tasks of the etcd area: install, join, start and check a kubexm etcd; check an external one.

Planning stays pure towards the hosts. It does touch the control machine's work dir once:
``EtcdInstallTask`` brings the local PKI up to date with ``ensure_pki`` (idempotent, keeps
whatever is still right) so the certificates can travel as step inputs and their digests
become part of each step's fingerprint: a renewed certificate re-runs the upload on resume.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.etcd import ExternalEtcd, KubexmEtcd
from kubexm.common import types as t
from kubexm.errors import ArtifactError, PlanError
from kubexm.pki import ensure_pki, host_stem
from kubexm.pki.fromconfig import plan_from_cluster
from kubexm.plan import Fragment, PlanContext
from kubexm.resource.bom import default_versions, strip_v
from kubexm.resource.resolve import file_artifact
from kubexm.runtime.workdir import WorkDir
from kubexm.step.etcd.check_external_etcd import CheckExternalEtcd
from kubexm.step.etcd.install_etcd_binaries import InstallEtcdBinaries
from kubexm.step.etcd.join_etcd_member import JoinEtcdMember
from kubexm.step.etcd.render import (
    Member,
    etcd_flags,
    render_backup,
    render_env,
    render_unit,
    render_wrapper,
    settings_digest,
)
from kubexm.step.etcd.start_etcd import StartEtcd
from kubexm.step.etcd.upload_etcd_certs import CertFile, UploadEtcdCerts
from kubexm.step.etcd.wait_etcd_healthy import WaitEtcdHealthy
from kubexm.step.etcd.write_etcd_backup import WriteEtcdBackup
from kubexm.step.etcd.write_etcd_config import WriteEtcdConfig
from kubexm.task.base import Task, register_task


def cluster_of(ctx: PlanContext) -> Cluster:
    """The validated cluster config of ``ctx``; ``PlanError`` for anything else."""
    if not isinstance(ctx.config, Cluster):
        raise PlanError("the plan context holds no cluster config", "build it with runtime.build")
    return ctx.config


def kubexm_etcd(cluster: Cluster) -> KubexmEtcd | None:
    """``spec.etcd`` when kubexm deploys etcd itself, else None."""
    etcd = cluster.spec.etcd
    return etcd if isinstance(etcd, KubexmEtcd) else None


def etcd_version(cluster: Cluster) -> str:
    """``spec.etcd.version`` (without ``v``), else the BOM default of the Kubernetes minor."""
    given = cluster.spec.etcd.version
    return strip_v(given) if given else default_versions(cluster.spec.kubernetes.version)["etcd"]


def etcd_members(cluster: Cluster) -> list[Member]:
    """The etcd members in roleGroups order, each at its first internal address."""
    return [Member(h.name, h.internal_ip) for h in cluster.etcd_members()]


def work_dir_of(ctx: PlanContext) -> WorkDir:
    """The work dir of a runtime context; ``PlanError`` for a context without one."""
    work = getattr(ctx, "work_dir", None)
    if not isinstance(work, WorkDir):
        raise PlanError(
            "the etcd plan needs the cluster's work dir (certificates, artifacts)",
            "plan with the runtime's RunContext (kubexm.runtime.build)",
        )
    return work


def prepare_pki(cluster: Cluster, work: WorkDir) -> Path:
    """Bring the local PKI up to date (idempotent) and return its folder.

    Raises ``PKIError`` when the existing CA cannot be used (see ``ensure_pki``).
    """
    ensure_pki(plan_from_cluster(cluster), work.pki, kubeconfig_dir=work.kubeconfig)
    return work.pki


def member_certs(pki_dir: Path, member: str) -> tuple[CertFile, ...]:
    """The CA, server and peer pairs of ``member`` and the health-check client pair,
    with their host paths (kubeadm layout). The etcd CA key never leaves the control machine.
    """
    files = [CertFile(f"{host_stem('etcd/ca')}.crt", (pki_dir / "etcd/ca.crt").read_bytes())]
    for item in (f"etcd/{member}-server", f"etcd/{member}-peer", "etcd/healthcheck-client"):
        stem = host_stem(item)
        for ext in ("crt", "key"):
            files.append(CertFile(f"{stem}.{ext}", (pki_dir / f"{item}.{ext}").read_bytes()))
    return tuple(files)


def etcd_archive(work: WorkDir, version: str, arch: str) -> Path:
    """The upstream etcd tarball in the work dir's artifact cache.

    Raises ``ArtifactError`` when it is not there.
    """
    path = work.artifacts / file_artifact("etcd", version, arch).cache_path
    if not path.is_file():
        raise ArtifactError(
            f"etcd {version} for {arch} is not in the artifact cache: {path}",
            "run 'kubexm download' (or unpack an offline bundle) before deploying",
        )
    return path


@dataclass(frozen=True)
class MemberFiles:
    """The rendered env file and unit of one member, and the digest StartEtcd compares."""

    env: str
    unit: str

    @property
    def digest(self) -> str:
        return settings_digest(self.env, self.unit)


def member_files(cluster: Cluster, etcd: KubexmEtcd, me: Member) -> MemberFiles:
    """What ``me`` runs with, for the config's etcd version."""
    version = etcd_version(cluster)
    flags = etcd_flags(me, etcd_members(cluster), etcd.cluster, etcd.performance, version)
    return MemberFiles(render_env(me, flags, version), render_unit())


class _KubexmEtcdTask(Task):
    """A task planned only when kubexm deploys etcd on at least one host."""

    def is_required(self, ctx: PlanContext) -> bool:
        cluster = cluster_of(ctx)
        return kubexm_etcd(cluster) is not None and bool(cluster.etcd_members())

    def etcd(self, ctx: PlanContext) -> tuple[Cluster, KubexmEtcd]:
        cluster = cluster_of(ctx)
        etcd = kubexm_etcd(cluster)
        if etcd is None:
            raise PlanError(f"{self.name} planned for etcd type {cluster.spec.etcd.type}")
        return cluster, etcd


@register_task
class EtcdInstallTask(_KubexmEtcdTask):
    """Per member: certificates, binaries, env file + unit + etcdctl wrapper (in that order)."""

    name: ClassVar[str] = "etcd/install"
    description: ClassVar[str] = "push etcd certificates, binaries and configuration"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster, etcd = self.etcd(ctx)
        work, version = work_dir_of(ctx), etcd_version(cluster)
        members = etcd_members(cluster)
        # A missing tarball is reported before any certificate is generated.
        archives = {m.name: etcd_archive(work, version, cluster.host(m.name).arch) for m in members}
        pki_dir, wrapper = prepare_pki(cluster, work), render_wrapper(etcd.cluster.client_port)
        fragment = Fragment(self.name)
        for me in members:
            files = member_files(cluster, etcd, me)
            steps = (
                UploadEtcdCerts(member_certs(pki_dir, me.name)),
                InstallEtcdBinaries(archives[me.name], version, cluster.host(me.name).arch),
                WriteEtcdConfig(files.env, files.unit, wrapper),
            )
            fragment.chain((step, me.name) for step in steps)
        return fragment


@register_task
class EtcdJoinTask(_KubexmEtcdTask):
    """Per member: join a running cluster when the member is new to it (serial)."""

    name: ClassVar[str] = "etcd/join"
    description: ClassVar[str] = "add new members to a running etcd cluster"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster, etcd = self.etcd(ctx)
        members = etcd_members(cluster)
        client, peer = etcd.cluster.client_port, etcd.cluster.peer_port
        fragment = Fragment(self.name)
        for me in members:
            peers = tuple(m.url(client) for m in members if m.name != me.name)
            step = JoinEtcdMember(me.name, me.url(peer), peers, etcd.cluster.data_dir)
            fragment.add(step, me.name)
        return fragment


@register_task
class EtcdStartTask(_KubexmEtcdTask):
    """Per member: start etcd, or restart it when its settings changed."""

    name: ClassVar[str] = "etcd/start"
    description: ClassVar[str] = "start etcd on every member"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster, etcd = self.etcd(ctx)
        fragment = Fragment(self.name)
        for me in etcd_members(cluster):
            fragment.add(StartEtcd(member_files(cluster, etcd, me).digest), me.name)
        return fragment


@register_task
class EtcdWaitTask(_KubexmEtcdTask):
    """Per member: wait for a healthy cluster with a leader."""

    name: ClassVar[str] = "etcd/wait"
    description: ClassVar[str] = "wait until every etcd member is healthy"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster, _ = self.etcd(ctx)
        fragment = Fragment(self.name)
        for me in etcd_members(cluster):
            fragment.add(WaitEtcdHealthy(), me.name)
        return fragment


@register_task
class EtcdBackupTask(_KubexmEtcdTask):
    """Per member: the snapshot timer (``periodHours`` 0 removes it)."""

    name: ClassVar[str] = "etcd/backup"
    description: ClassVar[str] = "install the periodic etcd snapshot"

    def build(self, ctx: PlanContext) -> Fragment:
        cluster, etcd = self.etcd(ctx)
        backup = etcd.backup
        script, service, timer = render_backup(backup)
        step = WriteEtcdBackup(
            backup.script_path, script, service, timer, enabled=backup.period_hours > 0
        )
        fragment = Fragment(self.name)
        for me in etcd_members(cluster):
            fragment.add(step, me.name)
        return fragment


@register_task
class EtcdExternalCheckTask(Task):
    """Per master: the external etcd answers with the configured client certificates."""

    name: ClassVar[str] = "etcd/external-check"
    description: ClassVar[str] = "check the external etcd endpoints"

    def is_required(self, ctx: PlanContext) -> bool:
        return cluster_of(ctx).spec.etcd.type == t.ETCD_EXTERNAL

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        etcd = cluster.spec.etcd
        if not isinstance(etcd, ExternalEtcd):
            raise PlanError(f"{self.name} planned for etcd type {etcd.type}")
        ext = etcd.external
        step = CheckExternalEtcd(tuple(ext.endpoints), ext.ca_file, ext.cert_file, ext.key_file)
        fragment = Fragment(self.name)
        for master in cluster.masters:
            fragment.add(step, master.name)
        return fragment
