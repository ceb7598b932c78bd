"""Kubelet tasks: every node's agents in binary mode, labels from the first master."""

from __future__ import annotations

from pathlib import Path

import pytest
from kube_task_helpers import CONFIG, Ctx, ctx_for, nodes_of

from kubexm.errors import ArtifactError
from kubexm.plan import Fragment
from kubexm.step.kubernetes.install_kube_binaries import InstallKubeBinaries
from kubexm.step.kubernetes.start_kube_services import StartKubeServices
from kubexm.step.kubernetes.upload_kube_pki import UploadKubePki
from kubexm.step.kubernetes.write_kube_config import WriteKubeConfig
from kubexm.step.kubernetes.write_node_labels import Taint, WriteNodeLabels
from kubexm.task.control_plane import part_id
from kubexm.task.kubelet import (
    KubeletInstallTask,
    KubeletLabelTask,
    KubeletStartTask,
    node_binaries,
    node_hosts,
    runtime_units,
)
from kubexm.util.yamlio import load_yaml_plain

NO_PROXY = CONFIG.replace("version: v1.36.4}", "version: v1.36.4, kubeProxy: {enable: false}}")


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Ctx, Fragment]:
    ctx = ctx_for(CONFIG, tmp_path_factory.mktemp("kubelet"))
    fragment = KubeletInstallTask().plan(ctx)
    assert fragment is not None
    return ctx, fragment


def step_of(fragment: Fragment, name: str, host: str) -> object:
    return nodes_of(fragment)[part_id(f"kubernetes/{name}", "node", host)]


def test_every_master_and_worker_gets_the_agents(planned: tuple[Ctx, Fragment]) -> None:
    _, fragment = planned
    assert fragment.hosts() == ["m1", "m2", "w1"]
    install = step_of(fragment, "install-kube-binaries", "w1")
    assert isinstance(install, InstallKubeBinaries)
    assert [b.name for b in install.binaries] == ["kubelet", "kube-proxy"]


def test_node_pki_holds_its_serving_pair_and_kubeconfigs(planned: tuple[Ctx, Fragment]) -> None:
    ctx, fragment = planned
    upload = step_of(fragment, "upload-kube-pki", "w1")
    assert isinstance(upload, UploadKubePki)
    files = {f.path: f for f in upload.files}
    assert set(files) == {
        "/etc/kubernetes/pki/ca.crt",
        "/var/lib/kubelet/pki/kubelet.crt",
        "/var/lib/kubelet/pki/kubelet.key",
        "/etc/kubernetes/kubelet.conf",
        "/etc/kubernetes/kube-proxy.conf",
    }
    assert files["/etc/kubernetes/kubelet.conf"].mode == 0o600
    local = (ctx.work_dir.kubeconfig / "kubelet-w1.conf").read_bytes()
    assert files["/etc/kubernetes/kubelet.conf"].data == local


def test_config_files_and_units(planned: tuple[Ctx, Fragment]) -> None:
    _, fragment = planned
    write = step_of(fragment, "write-kube-config", "m1")
    assert isinstance(write, WriteKubeConfig)
    config = load_yaml_plain(write.files[0].data.decode())
    assert config["registerWithTaints"][0]["key"] == "node-role.kubernetes.io/control-plane"
    assert [u.name for u in write.units] == ["kubelet.service", "kube-proxy.service"]
    kubelet = write.units[0].content
    assert "--config=/var/lib/kubelet/config.yaml" in kubelet
    assert "--kubeconfig=/etc/kubernetes/kubelet.conf" in kubelet
    assert "After=network-online.target containerd.service" in kubelet


def test_start_per_node_and_labels_on_the_first_master(tmp_path: Path) -> None:
    ctx = ctx_for(CONFIG, tmp_path)
    start = step_of(KubeletStartTask().plan(ctx) or Fragment(), "start-kube-services", "w1")
    assert isinstance(start, StartKubeServices)
    assert [s.service for s in start.services] == ["kubelet", "kube-proxy"]
    labels = KubeletLabelTask().plan(ctx)
    assert labels is not None and labels.hosts() == ["m1"]
    w1 = nodes_of(labels)["kubernetes/write-node-labels/w1@m1"]
    assert isinstance(w1, WriteNodeLabels)
    assert dict(w1.labels) == {"disk": "ssd", "node-role.kubernetes.io/worker": ""}
    m1 = nodes_of(labels)["kubernetes/write-node-labels/m1@m1"]
    assert isinstance(m1, WriteNodeLabels)
    assert m1.taints == (Taint("node-role.kubernetes.io/control-plane", "NoSchedule"),)


def test_without_kube_proxy_only_the_kubelet(tmp_path: Path) -> None:
    ctx = ctx_for(NO_PROXY, tmp_path, binaries=("kubelet",))
    assert node_binaries(ctx.config) == ("kubelet",)
    fragment = KubeletInstallTask().plan(ctx)
    assert fragment is not None
    write = step_of(fragment, "write-kube-config", "w1")
    assert isinstance(write, WriteKubeConfig)
    assert [u.name for u in write.units] == ["kubelet.service"]


def test_missing_kubelet_is_an_artifact_error(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="kubelet"):
        KubeletInstallTask().plan(ctx_for(CONFIG, tmp_path, binaries=()))


@pytest.mark.parametrize("task", [KubeletInstallTask(), KubeletStartTask(), KubeletLabelTask()])
def test_nothing_in_kubeadm_mode(task: KubeletInstallTask, tmp_path: Path) -> None:
    ctx = ctx_for(CONFIG.replace("type: kubexm", "type: kubeadm"), tmp_path)
    assert task.plan(ctx) is None


@pytest.mark.parametrize(
    ("runtime", "units"),
    [
        ("{type: containerd}", ("containerd.service",)),
        ("{type: docker}", ("docker.service", "cri-docker.service")),
        ("{type: cri-o}", ("crio.service",)),
        ("{type: isula}", ("isulad.service",)),
    ],
)
def test_runtime_units(runtime: str, units: tuple[str, ...], tmp_path: Path) -> None:
    text = CONFIG.replace("version: v1.36.4}", f"version: v1.36.4, containerRuntime: {runtime}}}")
    ctx = ctx_for(text, tmp_path, binaries=())
    assert runtime_units(ctx.config) == units
    assert [h.name for h in node_hosts(ctx.config)] == ["m1", "m2", "w1"]


def test_a_new_kubelet_binary_changes_the_service_digest(tmp_path: Path) -> None:
    from kubexm.step.kubernetes.install_kube_binaries import KubeBinary
    from kubexm.step.kubernetes.upload_kube_pki import HostFile
    from kubexm.step.kubernetes.write_kube_config import UnitFile
    from kubexm.task.kubelet import node_services

    binary = tmp_path / "kubelet"
    binary.write_bytes(b"build one")
    files = (HostFile("/var/lib/kubelet/config.yaml", b"kind: KubeletConfiguration\n"),)
    units = (UnitFile("kubelet.service", "[Service]\nExecStart=/usr/local/bin/kubelet\n"),)
    before = node_services(files, units, (KubeBinary("kubelet", binary),))
    binary.write_bytes(b"build two, longer")

    after = node_services(files, units, (KubeBinary("kubelet", binary),))

    assert before[0].service == after[0].service == "kubelet"
    assert before[0].digest != after[0].digest
