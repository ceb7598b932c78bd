"""etcd tasks: what each plans per etcd type, from config and the work dir."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.etcd import KubexmEtcd
from kubexm.config import load_text
from kubexm.errors import ArtifactError, PlanError
from kubexm.plan import Fragment
from kubexm.runtime.workdir import WorkDir
from kubexm.step.etcd.check_external_etcd import CheckExternalEtcd
from kubexm.step.etcd.install_etcd_binaries import InstallEtcdBinaries
from kubexm.step.etcd.join_etcd_member import JoinEtcdMember
from kubexm.step.etcd.start_etcd import StartEtcd
from kubexm.step.etcd.upload_etcd_certs import UploadEtcdCerts
from kubexm.step.etcd.write_etcd_backup import WriteEtcdBackup
from kubexm.step.etcd.write_etcd_config import WriteEtcdConfig
from kubexm.task.etcd import (
    EtcdBackupTask,
    EtcdExternalCheckTask,
    EtcdInstallTask,
    EtcdJoinTask,
    EtcdStartTask,
    EtcdWaitTask,
    cluster_of,
    etcd_archive,
    etcd_members,
    etcd_version,
    member_certs,
    member_files,
    work_dir_of,
)

HEAD = """\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: demo}
spec:
  global: {user: ops, privateKeyPath: /keys/id}
  hosts:
    - {name: m1, address: 10.0.0.11}
    - {name: e1, address: 10.0.0.21, internalAddress: 192.168.0.21}
    - {name: e2, address: 10.0.0.22}
  roleGroups:
    master: [m1]
    etcd: [e1, e2]
    worker: [e2]
  kubernetes: {type: kubeadm, version: v1.36.4}
"""
KUBEXM = HEAD + "  etcd: {type: kubexm, version: v3.4.23, backup: {periodHours: 0}}\n"
EXTERNAL = HEAD + (
    "  etcd: {type: external, external: {endpoints: [https://10.9.9.9:2379],"
    " caFile: /ca.pem, certFile: /c.pem, keyFile: /k.pem}}\n"
)


@dataclass
class Ctx:
    config: Cluster
    work_dir: WorkDir

    def hosts_with_role(self, role: str) -> Sequence[str]:
        return [h.name for h in self.config.hosts_in_role(role)]

    def facts(self, host: str) -> Mapping[str, object]:
        return {}


def ctx_for(text: str, tmp_path: Path, *, tarball: bool = True) -> Ctx:
    work = WorkDir(tmp_path / "demo")
    if tarball:
        path = work.artifacts / "etcd/3.4.23/amd64/etcd-v3.4.23-linux-amd64.tar.gz"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"tgz")
    return Ctx(load_text(text, source="t.yaml").cluster, work)


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Ctx, Fragment]:
    """The install task planned once (generating a PKI takes seconds)."""
    ctx = ctx_for(KUBEXM, tmp_path_factory.mktemp("planned"))
    fragment = EtcdInstallTask().plan(ctx)
    assert fragment is not None
    return ctx, fragment


def steps_of(fragment: Fragment) -> list[tuple[str, str]]:
    return [(n.step.name, n.host) for n in fragment]


def test_install_chains_certs_binaries_config_per_member(planned: tuple[Ctx, Fragment]) -> None:
    ctx, fragment = planned
    kinds = [type(n.step) for n in fragment if n.host == "e1"]
    assert kinds == [UploadEtcdCerts, InstallEtcdBinaries, WriteEtcdConfig]
    assert sorted(fragment.entries()) == [
        "etcd/upload-etcd-certs@e1",
        "etcd/upload-etcd-certs@e2",
    ]
    assert (ctx.work_dir.pki / "etcd/e1-server.crt").is_file(), "PKI made at plan time"


def test_install_config_uses_the_internal_address(planned: tuple[Ctx, Fragment]) -> None:
    _, fragment = planned
    config = fragment.nodes["etcd/write-etcd-config@e1"].step
    assert isinstance(config, WriteEtcdConfig)
    assert "ETCD_ADVERTISE_CLIENT_URLS=https://192.168.0.21:2379" in config.env
    assert "ETCD_LOGGER=zap" in config.env, "3.4 flags for etcd 3.4"


def test_install_fails_at_plan_time_without_the_tarball(tmp_path: Path) -> None:
    ctx = ctx_for(KUBEXM, tmp_path, tarball=False)
    with pytest.raises(ArtifactError, match="artifact cache") as info:
        EtcdInstallTask().plan(ctx)
    assert "kubexm download" in (info.value.hint or "")
    assert not ctx.work_dir.pki.exists(), "no certificate before the artifact check"


def test_plan_is_stable_across_runs(planned: tuple[Ctx, Fragment]) -> None:
    ctx, first = planned
    second = EtcdInstallTask().plan(ctx)
    assert second is not None
    prints = [n.step.fingerprint() for n in first]
    assert prints == [n.step.fingerprint() for n in second], "PKI kept, inputs equal"


def test_join_start_wait_backup_plan_one_step_per_member(tmp_path: Path) -> None:
    ctx = ctx_for(KUBEXM, tmp_path)
    for task, kind in (
        (EtcdJoinTask(), "etcd/join-etcd-member"),
        (EtcdStartTask(), "etcd/start-etcd"),
        (EtcdWaitTask(), "etcd/wait-etcd-healthy"),
        (EtcdBackupTask(), "etcd/write-etcd-backup"),
    ):
        fragment = task.plan(ctx)
        assert fragment is not None
        assert steps_of(fragment) == [(kind, "e1"), (kind, "e2")]


def test_join_asks_the_other_members(tmp_path: Path) -> None:
    fragment = EtcdJoinTask().plan(ctx_for(KUBEXM, tmp_path))
    assert fragment is not None
    step = fragment.nodes["etcd/join-etcd-member@e1"].step
    assert isinstance(step, JoinEtcdMember)
    assert step.peers == ("https://10.0.0.22:2379",)
    assert step.peer_url == "https://192.168.0.21:2380"


def test_start_digest_ignores_a_grown_initial_cluster(tmp_path: Path) -> None:
    ctx = ctx_for(KUBEXM, tmp_path)
    grown = ctx_for(KUBEXM.replace("etcd: [e1, e2]", "etcd: [e1, e2, m1]"), tmp_path / "g")
    fragment, bigger = EtcdStartTask().plan(ctx), EtcdStartTask().plan(grown)
    assert fragment is not None and bigger is not None
    one, two = fragment.nodes["etcd/start-etcd@e1"].step, bigger.nodes["etcd/start-etcd@e1"].step
    assert isinstance(one, StartEtcd) and isinstance(two, StartEtcd)
    assert one.digest == two.digest


def test_backup_period_zero_plans_removal(tmp_path: Path) -> None:
    fragment = EtcdBackupTask().plan(ctx_for(KUBEXM, tmp_path))
    assert fragment is not None
    step = fragment.nodes["etcd/write-etcd-backup@e1"].step
    assert isinstance(step, WriteEtcdBackup) and not step.enabled


@pytest.mark.parametrize(
    "task",
    [EtcdInstallTask(), EtcdJoinTask(), EtcdStartTask(), EtcdWaitTask(), EtcdBackupTask()],
    ids=["install", "join", "start", "wait", "backup"],
)
@pytest.mark.parametrize("kind", ["kubeadm", "external"])
def test_kubexm_tasks_plan_nothing_for_other_etcd_types(
    task: EtcdInstallTask, kind: str, tmp_path: Path
) -> None:
    text = EXTERNAL if kind == "external" else HEAD + "  etcd: {type: kubeadm}\n"
    assert task.plan(ctx_for(text, tmp_path)) is None


def test_external_check_runs_on_every_master(tmp_path: Path) -> None:
    fragment = EtcdExternalCheckTask().plan(ctx_for(EXTERNAL, tmp_path))
    assert fragment is not None
    assert steps_of(fragment) == [("etcd/check-external-etcd", "m1")]
    step = fragment.nodes["etcd/check-external-etcd@m1"].step
    assert isinstance(step, CheckExternalEtcd)
    assert (step.endpoints, step.key_file) == (("https://10.9.9.9:2379",), "/k.pem")
    assert EtcdExternalCheckTask().plan(ctx_for(KUBEXM, tmp_path / "k")) is None


def test_helpers_read_version_members_and_certs(planned: tuple[Ctx, Fragment]) -> None:
    ctx, _ = planned
    cluster = cluster_of(ctx)
    assert etcd_version(cluster) == "3.4.23"
    assert [m.ip for m in etcd_members(cluster)] == ["192.168.0.21", "10.0.0.22"]
    default = load_text(HEAD, source="t.yaml").cluster
    assert etcd_version(default).startswith("3.6.")
    certs = member_certs(ctx.work_dir.pki, "e2")
    paths = [c.path for c in certs]
    assert paths[0] == "/etc/kubernetes/pki/etcd/ca.crt"
    assert "/etc/kubernetes/pki/etcd/peer.key" in paths
    assert "/etc/kubernetes/pki/etcd/ca.key" not in paths, "the CA key stays local"
    assert etcd_archive(ctx.work_dir, "3.4.23", "amd64").is_file()
    etcd = cluster.spec.etcd
    assert isinstance(etcd, KubexmEtcd)
    files = member_files(cluster, etcd, etcd_members(cluster)[0])
    assert "ETCD_NAME=e1" in files.env


def test_context_without_work_dir_or_cluster_is_a_plan_error(planned: tuple[Ctx, Fragment]) -> None:
    ctx, _ = planned

    @dataclass
    class Bare:
        config: object

    with pytest.raises(PlanError, match="work dir"):
        work_dir_of(Bare(ctx.config))  # type: ignore[arg-type]  # deliberately incomplete
    with pytest.raises(PlanError, match="no cluster config"):
        cluster_of(Bare(None))  # type: ignore[arg-type]  # deliberately incomplete
