"""Control-plane tasks: what each master gets, in which order, and nothing in kubeadm mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from kube_task_helpers import CONFIG, Ctx, ctx_for, nodes_of

from kubexm.common.paths import ROOT_KUBECONFIG
from kubexm.errors import ArtifactError, PlanError
from kubexm.pki.kubeconfig import parse_kubeconfig
from kubexm.plan import Fragment
from kubexm.step.kubernetes.install_kube_binaries import InstallKubeBinaries
from kubexm.step.kubernetes.install_kube_rbac import InstallKubeRbac
from kubexm.step.kubernetes.start_kube_services import StartKubeServices
from kubexm.step.kubernetes.upload_kube_pki import UploadKubePki
from kubexm.step.kubernetes.write_kube_config import WriteKubeConfig
from kubexm.task.control_plane import (
    ENCRYPTION_KEY,
    SUPER_ADMIN_CONF,
    ControlPlaneInstallTask,
    ControlPlaneRbacTask,
    ControlPlaneStartTask,
    apiserver_files,
    ensure_encryption_key,
    kube_binaries,
    kube_version,
    part_id,
    pki_file,
)

SECURE = CONFIG.replace(
    "version: v1.36.4}",
    "version: v1.36.4, apiServer: {encryptSecrets: true,"
    " audit: {enabled: true, policyFileContent: 'kind: Policy'}}}",
)


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Ctx, Fragment]:
    """The install task planned once (generating a PKI takes seconds)."""
    ctx = ctx_for(SECURE, tmp_path_factory.mktemp("cp"))
    fragment = ControlPlaneInstallTask().plan(ctx)
    assert fragment is not None
    return ctx, fragment


def test_install_chains_pki_binaries_config_per_master(planned: tuple[Ctx, Fragment]) -> None:
    _, fragment = planned
    steps = nodes_of(fragment)
    for host in ("m1", "m2"):
        names = ("upload-kube-pki", "install-kube-binaries", "write-kube-config")
        ids = [part_id(f"kubernetes/{n}", "control-plane", host) for n in names]
        assert [type(steps[i]) for i in ids] == [
            UploadKubePki,
            InstallKubeBinaries,
            WriteKubeConfig,
        ]
        assert list(fragment.nodes[ids[2]].deps) == [ids[1]]
    assert not [i for i in steps if i.endswith("@w1")]


def test_masters_get_certs_keys_and_kubeconfigs(planned: tuple[Ctx, Fragment]) -> None:
    ctx, fragment = planned
    upload = nodes_of(fragment)[part_id("kubernetes/upload-kube-pki", "control-plane", "m1")]
    assert isinstance(upload, UploadKubePki)
    files = {f.path: f for f in upload.files}
    assert files["/etc/kubernetes/pki/ca.key"].mode == 0o600
    assert files["/etc/kubernetes/pki/sa.pub"].mode == 0o644
    assert "/etc/kubernetes/pki/front-proxy-ca.key" not in files
    assert "/etc/kubernetes/pki/etcd/ca.crt" in files
    assert files[ROOT_KUBECONFIG].data == (ctx.work_dir.kubeconfig / "admin.conf").read_bytes()
    local = parse_kubeconfig(files[SUPER_ADMIN_CONF].data, "super-admin.conf")
    assert local.server == "https://127.0.0.1:6443"


def test_binaries_follow_each_masters_arch(planned: tuple[Ctx, Fragment]) -> None:
    _, fragment = planned
    install = nodes_of(fragment)[part_id("kubernetes/install-kube-binaries", "control-plane", "m2")]
    assert isinstance(install, InstallKubeBinaries)
    assert install.binaries[0].local.read_bytes() == b"kube-apiserver arm64"


def test_audit_policy_and_encryption_config_are_written(planned: tuple[Ctx, Fragment]) -> None:
    ctx, fragment = planned
    write = nodes_of(fragment)[part_id("kubernetes/write-kube-config", "control-plane", "m1")]
    assert isinstance(write, WriteKubeConfig)
    paths = [f.path for f in write.files]
    assert paths == ["/etc/kubernetes/audit-policy.yaml", "/etc/kubernetes/encryption-config.yaml"]
    key = (ctx.work_dir.pki / ENCRYPTION_KEY).read_text().strip()
    assert key.encode() in write.files[1].data
    assert key not in repr(write)  # the secret never shows in logs or plan output
    assert "--encryption-provider-config" in write.units[0].content


def test_encryption_key_is_made_once(tmp_path: Path) -> None:
    first = ensure_encryption_key(tmp_path)
    assert ensure_encryption_key(tmp_path) == first
    assert len(first) == 44 and (tmp_path / ENCRYPTION_KEY).stat().st_mode & 0o777 == 0o600


def test_start_waits_per_master_and_rbac_runs_on_the_first(tmp_path: Path) -> None:
    ctx = ctx_for(CONFIG, tmp_path)
    start = ControlPlaneStartTask().plan(ctx)
    steps = nodes_of(start)
    begin = part_id("kubernetes/start-kube-services", "control-plane", "m1")
    assert isinstance(steps[begin], StartKubeServices)
    services = [s.service for s in steps[begin].services]
    assert services == ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]
    assert start is not None
    assert list(start.nodes["kubernetes/wait-kube-apiserver@m1"].deps) == [begin]
    rbac = nodes_of(ControlPlaneRbacTask().plan(ctx))
    assert list(rbac) == ["kubernetes/install-kube-rbac@m1"]
    step = rbac["kubernetes/install-kube-rbac@m1"]
    assert isinstance(step, InstallKubeRbac) and step.kubeconfig == SUPER_ADMIN_CONF


def test_start_digest_changes_with_the_config(tmp_path: Path) -> None:
    a = nodes_of(ControlPlaneStartTask().plan(ctx_for(CONFIG, tmp_path / "a")))
    text = CONFIG.replace("version: v1.36.4}", "version: v1.36.4, scheduler: {extraArgs: {v: 2}}}")
    b = nodes_of(ControlPlaneStartTask().plan(ctx_for(text, tmp_path / "b")))
    key = part_id("kubernetes/start-kube-services", "control-plane", "m1")
    sa, sb = a[key], b[key]
    assert isinstance(sa, StartKubeServices) and isinstance(sb, StartKubeServices)
    assert sa.services[0] == sb.services[0]
    assert sa.services[2] != sb.services[2]


TASKS = [ControlPlaneInstallTask(), ControlPlaneStartTask(), ControlPlaneRbacTask()]


@pytest.mark.parametrize("task", TASKS)
def test_nothing_in_kubeadm_mode(task: ControlPlaneInstallTask, tmp_path: Path) -> None:
    ctx = ctx_for(CONFIG.replace("type: kubexm", "type: kubeadm"), tmp_path)
    assert task.plan(ctx) is None


def test_a_missing_binary_is_an_artifact_error_before_any_pki(tmp_path: Path) -> None:
    ctx = ctx_for(CONFIG, tmp_path, binaries=("kube-apiserver",))
    with pytest.raises(ArtifactError, match="kube-controller-manager") as err:
        ControlPlaneInstallTask().plan(ctx)
    assert "kubexm download" in err.value.hint
    assert not ctx.work_dir.pki.exists()


def test_helpers(tmp_path: Path) -> None:
    ctx = ctx_for(CONFIG, tmp_path)
    assert kube_version(ctx.config) == "1.36.4"
    found = kube_binaries(ctx.work_dir, ("kubectl",), "1.36.4", "amd64")
    assert found[0].name == "kubectl" and found[0].local.read_bytes() == b"kubectl amd64"
    assert apiserver_files(ctx.config, tmp_path) == ()
    with pytest.raises(PlanError):
        pki_file(tmp_path, "clients/admin")
