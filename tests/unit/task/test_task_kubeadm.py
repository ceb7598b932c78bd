"""kubeadm tasks: what each plans, from config, facts and the work dir."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import load_text
from kubexm.errors import ArtifactError
from kubexm.plan import Fragment
from kubexm.runtime.workdir import WorkDir
from kubexm.step.kubeadm.create_join_token import CreateJoinToken
from kubexm.step.kubeadm.join_control_plane import JoinControlPlane
from kubexm.step.kubeadm.join_worker import JoinWorker
from kubexm.step.kubeadm.render import ca_cert_hash
from kubexm.step.kubeadm.upload_control_plane_certs import UploadControlPlaneCerts
from kubexm.step.kubeadm.upload_kubeadm_pki import UploadKubeadmPki
from kubexm.step.kubeadm.write_kubeadm_config import WriteKubeadmConfig
from kubexm.step.kubeadm.write_kubelet_unit import WriteKubeletUnit
from kubexm.task.kubeadm import (
    KubeadmBinariesInstallTask,
    KubeadmCredentialsTask,
    KubeadmInitTask,
    KubeadmMasterJoinTask,
    KubeadmPkiUploadTask,
    KubeadmTokenRemoveTask,
    KubeadmWorkerJoinTask,
    apiserver_volumes,
    binaries,
    ca_hashes,
    cluster_ca_pins,
    cluster_settings,
    control_plane_repository,
    discovery_endpoint,
    etcd_settings,
    kube_nodes,
    kubeadm_mode,
    kubelet_unit,
    master_pki,
    node_settings,
    pure_workers,
)
from kubexm.util.yamlio import load_yaml_all

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "kubeadm"


def config(
    version: str = "v1.36.4", etcd: str = "{type: kubexm}", extra: str = "", cpe: str = ""
) -> str:
    return f"""\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {{name: demo}}
spec:
  global: {{user: ops, privateKeyPath: /keys/id}}
  hosts:
    - {{name: m1, address: 10.0.0.11}}
    - {{name: m2, address: 10.0.0.12}}
    - {{name: m3, address: 10.0.0.13}}
    - {{name: w1, address: 10.0.0.21, labels: {{disk: ssd}}}}
    - {{name: w2, address: 10.0.0.22}}
  roleGroups:
    master: [m1, m2, m3]
    etcd: [m1, m2, m3]
    worker: [w1, w2]
  kubernetes: {{type: kubeadm, version: {version}{extra}}}
  etcd: {etcd}
{cpe}"""


SINGLE = """\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: one}
spec:
  global: {user: ops, privateKeyPath: /keys/id}
  hosts: [{name: n1, address: 10.0.0.5}]
  roleGroups: {master: [n1], etcd: [n1], worker: [n1]}
"""
VIP = "  controlPlaneEndpoint: {address: 10.0.0.100, internalLoadbalancer: kube-vip}\n"


@dataclass
class Ctx:
    config: Cluster
    work_dir: WorkDir
    host_facts: dict[str, dict[str, object]] = field(default_factory=dict)

    def hosts_with_role(self, role: str) -> Sequence[str]:
        return [h.name for h in self.config.hosts_in_role(role)]

    def facts(self, host: str) -> Mapping[str, object]:
        return self.host_facts.get(host, {})


def ctx_for(text: str, work: WorkDir, *, artifacts: bool = True) -> Ctx:
    cluster = load_text(text, source="t.yaml").cluster
    version = cluster.spec.kubernetes.version.removeprefix("v")
    if artifacts:
        for name in ("kubeadm", "kubelet", "kubectl"):
            path = work.artifacts / name / version / "amd64" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(name.encode())
    return Ctx(cluster, work, {"w1": {"os_family": "rhel"}})


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> WorkDir:
    """One work dir for the module: generating a PKI takes seconds."""
    return WorkDir(tmp_path_factory.mktemp("kubeadm") / "demo")


def steps(fragment: Fragment | None) -> list[tuple[str, str]]:
    assert fragment is not None
    return [(n.step.name, n.host) for n in fragment]


def test_every_task_plans_nothing_in_binary_mode(work: WorkDir) -> None:
    ctx = ctx_for(config().replace("type: kubeadm", "type: kubexm"), work)
    assert not kubeadm_mode(ctx.config)
    for task in (KubeadmBinariesInstallTask(), KubeadmInitTask(), KubeadmWorkerJoinTask()):
        assert task.plan(ctx) is None


def test_install_chains_binaries_then_kubelet_unit_on_every_node(work: WorkDir) -> None:
    ctx = ctx_for(config(), work)
    planned = steps(KubeadmBinariesInstallTask().plan(ctx))
    assert len(planned) == 10
    assert planned[:2] == [
        ("kubernetes/install-kube-binaries", "m1"),
        ("kubeadm/write-kubelet-unit", "m1"),
    ]
    w1 = KubeadmBinariesInstallTask().plan(ctx)
    assert w1 is not None
    unit = w1.nodes["kubeadm/write-kubelet-unit@w1"].step
    assert isinstance(unit, WriteKubeletUnit) and unit.env_path == "/etc/sysconfig/kubelet"


def test_install_fails_at_plan_time_without_the_binaries(tmp_path: Path) -> None:
    ctx = ctx_for(config(), WorkDir(tmp_path / "w"), artifacts=False)
    with pytest.raises(ArtifactError, match=r"kubeadm 1\.36\.4") as info:
        KubeadmBinariesInstallTask().plan(ctx)
    assert "kubexm download" in (info.value.hint or "")


def test_binaries_names(work: WorkDir) -> None:
    ctx_for(config(), work)
    assert [b.name for b in binaries(work, "1.36.4", "amd64")] == ["kubeadm", "kubelet", "kubectl"]


@pytest.mark.parametrize(
    ("etcd", "extra"),
    [
        (
            "{type: kubexm}",
            {"etcd/ca.crt", "apiserver-etcd-client.crt", "apiserver-etcd-client.key"},
        ),
        ("{type: kubeadm}", {"etcd/ca.crt", "etcd/ca.key"}),
    ],
    ids=["kubexm", "kubeadm"],
)
def test_pki_upload_preseeds_cas_sa_and_the_etcd_files(
    work: WorkDir, etcd: str, extra: set[str]
) -> None:
    ctx = ctx_for(config(etcd=etcd), work)
    fragment = KubeadmPkiUploadTask().plan(ctx)
    assert steps(fragment) == [("kubeadm/upload-kubeadm-pki", m) for m in ("m1", "m2", "m3")]
    assert fragment is not None
    step = fragment.nodes["kubeadm/upload-kubeadm-pki@m1"].step
    assert isinstance(step, UploadKubeadmPki)
    names = {f.path.removeprefix("/etc/kubernetes/pki/") for f in step.files}
    shared = {"ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub"}
    assert shared | extra == names
    assert not any(n.startswith("apiserver.") for n in names), "kubeadm makes the leaves"


def test_master_pki_for_an_external_etcd_has_no_etcd_file(work: WorkDir) -> None:
    ext = "{type: external, external: {endpoints: [https://10.9.9.9:2379], caFile: /e/ca.pem}}"
    ctx = ctx_for(config(etcd=ext), work)
    files = master_pki(ctx.config, work.pki)
    assert not any("etcd" in f.path for f in files)
    assert etcd_settings(ctx.config).endpoints == ("https://10.9.9.9:2379",)


@pytest.mark.parametrize("version", ["v1.34.11", "v1.35.8", "v1.36.4"])
def test_init_config_matches_golden_per_minor(work: WorkDir, version: str) -> None:
    ctx = ctx_for(config(version=version), work)
    fragment = KubeadmInitTask().plan(ctx)
    assert [s for s, _ in steps(fragment)] == [
        "kubeadm/write-kubeadm-config",
        "kubeadm/init-control-plane",
        "kubeadm/write-admin-kubeconfig",
    ]
    assert fragment is not None
    step = fragment.nodes["kubeadm/write-kubeadm-config@m1"].step
    assert isinstance(step, WriteKubeadmConfig)
    minor = version.removeprefix("v").rsplit(".", 1)[0]
    path = GOLDEN / f"init-{minor}.yaml"
    if os.environ.get("KUBEXM_UPDATE_GOLDEN") == "1":
        path.write_text(step.content, encoding="utf-8")
    assert step.content == path.read_text(encoding="utf-8")


def test_init_config_carries_endpoint_sans_and_etcd(work: WorkDir) -> None:
    cs = cluster_settings(ctx_for(config(cpe=VIP), work).config)
    assert cs.endpoint == "lb.kubexm.local:6443"
    assert {"lb.kubexm.local", "10.0.0.100", "10.0.0.11", "10.0.0.13"} <= set(cs.cert_sans)
    assert cs.etcd.endpoints[0] == "https://10.0.0.11:2379"
    assert cs.etcd.cert_file == "/etc/kubernetes/pki/apiserver-etcd-client.crt"
    assert "registerWithTaints" not in cs.kubelet


def test_images_follow_the_zone_and_a_private_registry(work: WorkDir) -> None:
    plain = ctx_for(config(), work).config
    assert control_plane_repository(plain) == "registry.k8s.io"
    private = config() + "  registry: {mirroring: {privateRegistry: reg.local:5000}}\n"
    assert control_plane_repository(ctx_for(private, work).config).startswith("reg.local:5000")
    stacked = cluster_settings(ctx_for(config(etcd="{type: kubeadm}"), work).config)
    assert stacked.etcd.image is not None and not stacked.etcd.external


def test_audit_and_encryption_files_go_to_masters_and_into_the_pod(work: WorkDir) -> None:
    audit = "{enabled: true, policyFileContent: '{apiVersion: audit.k8s.io/v1, kind: Policy}'}"
    text = config(extra=f", apiServer: {{encryptSecrets: true, audit: {audit}}}")
    ctx = ctx_for(text, work)
    fragment = KubeadmPkiUploadTask().plan(ctx)
    assert steps(fragment)[:2] == [
        ("kubeadm/upload-kubeadm-pki", "m1"),
        ("kubernetes/write-kube-config", "m1"),
    ]
    volumes = cluster_settings(ctx.config).extra_volumes["kube-apiserver"]
    assert [v["name"] for v in volumes] == ["audit-policy", "audit-log", "encryption-config"]
    assert apiserver_volumes({}) == ()


def test_credentials_token_then_cert_upload_on_the_first_master(work: WorkDir) -> None:
    ctx = ctx_for(config(), work)
    fragment = KubeadmCredentialsTask().plan(ctx)
    assert steps(fragment) == [
        ("kubeadm/create-join-token", "m1"),
        ("kubeadm/upload-control-plane-certs", "m1"),
    ]
    assert fragment is not None
    token = fragment.nodes["kubeadm/create-join-token@m1"].step
    upload = fragment.nodes["kubeadm/upload-control-plane-certs@m1"].step
    assert isinstance(token, CreateJoinToken) and token.nodes == ("m2", "m3", "w1", "w2")
    assert isinstance(upload, UploadControlPlaneCerts) and upload.masters == ("m2", "m3")


def test_a_single_node_cluster_needs_no_credentials(work: WorkDir) -> None:
    ctx = ctx_for(SINGLE, WorkDir(work.root.parent / "one"))
    assert KubeadmCredentialsTask().plan(ctx) is None
    assert KubeadmTokenRemoveTask().plan(ctx) is None
    assert KubeadmMasterJoinTask().plan(ctx) is None
    assert KubeadmWorkerJoinTask().plan(ctx) is None


def test_ca_pins_make_the_pki_when_there_is_none(tmp_path: Path) -> None:
    ctx = ctx_for(SINGLE, WorkDir(tmp_path / "one"))
    pins = cluster_ca_pins(ctx.config, ctx.work_dir)
    assert (ctx.work_dir.pki / "ca.crt").is_file()
    assert pins == ca_hashes(ctx.work_dir.pki)


def test_master_joins_pin_the_work_dir_ca(work: WorkDir) -> None:
    ctx = ctx_for(config(), work)
    fragment = KubeadmMasterJoinTask().plan(ctx)
    assert steps(fragment) == [
        ("kubeadm/join-control-plane", "m2"),
        ("kubeadm/write-admin-kubeconfig", "m2"),
        ("kubeadm/join-control-plane", "m3"),
        ("kubeadm/write-admin-kubeconfig", "m3"),
    ]
    assert fragment is not None
    join = fragment.nodes["kubeadm/join-control-plane@m2"].step
    assert isinstance(join, JoinControlPlane)
    assert join.ca_hashes == (ca_cert_hash((work.pki / "ca.crt").read_bytes()),)
    assert join.ca_hashes == ca_hashes(work.pki)
    assert join.api_server == "10.0.0.11:6443", "the domain resolves to m2 itself"


def test_worker_joins_with_a_local_proxy_skip_the_manifests_check(work: WorkDir) -> None:
    ctx = ctx_for(config(), work)
    fragment = KubeadmWorkerJoinTask().plan(ctx)
    assert steps(fragment) == [("kubeadm/join-worker", "w1"), ("kubeadm/join-worker", "w2")]
    assert fragment is not None
    join = fragment.nodes["kubeadm/join-worker@w1"].step
    assert isinstance(join, JoinWorker)
    assert join.node.ignore_preflight == ("DirAvailable--etc-kubernetes-manifests",)
    assert join.node.kubelet_args["node-labels"] == "disk=ssd"
    assert join.api_server == "10.0.0.11:6443", "127.0.0.1 has no proxy before the join"


def test_joins_through_a_vip_use_the_domain(work: WorkDir) -> None:
    cluster = ctx_for(config(cpe=VIP), work).config
    for name in ("m2", "w1"):
        assert discovery_endpoint(cluster, cluster.host(name)) == "lb.kubexm.local:6443"
    assert node_settings(cluster, cluster.host("m2")).ignore_preflight == (
        "DirAvailable--etc-kubernetes-manifests",
    ), "kube-vip's manifest is there before the join"
    assert node_settings(cluster, cluster.host("w1")).ignore_preflight == ()


def test_node_settings_taint_masters_explicitly(work: WorkDir) -> None:
    cluster = ctx_for(config(), work).config
    m1 = node_settings(cluster, cluster.host("m1"), joining=False)
    assert m1.taints == ({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"},)
    assert node_settings(cluster, cluster.host("w2")).taints is None
    single = load_text(SINGLE, source="t").cluster
    assert node_settings(single, single.host("n1")).taints == (), "master and worker"


def test_node_lists(work: WorkDir) -> None:
    cluster = ctx_for(config(), work).config
    assert [h.name for h in kube_nodes(cluster)] == ["m1", "m2", "m3", "w1", "w2"]
    assert [h.name for h in pure_workers(cluster)] == ["w1", "w2"]


def test_remove_token_runs_on_the_first_master(work: WorkDir) -> None:
    assert steps(KubeadmTokenRemoveTask().plan(ctx_for(config(), work))) == [
        ("kubeadm/remove-join-token", "m1")
    ]


def test_plan_is_stable_across_runs(work: WorkDir) -> None:
    ctx = ctx_for(config(), work)
    tasks = (KubeadmPkiUploadTask(), KubeadmInitTask(), KubeadmWorkerJoinTask())
    first = [n.step.fingerprint() for t in tasks for n in t.plan(ctx) or ()]
    again = [n.step.fingerprint() for t in tasks for n in t.plan(ctx) or ()]
    assert first == again, "PKI kept, no secret in any input"


def test_no_planned_step_input_holds_a_join_secret(work: WorkDir) -> None:
    ctx = ctx_for(config(), work)
    for task in (KubeadmInitTask(), KubeadmMasterJoinTask(), KubeadmWorkerJoinTask()):
        for node in task.plan(ctx) or ():
            text = repr(node.step.inputs())
            assert "certificateKey" not in text and "token:" not in text


def test_kubelet_unit_env_path_by_os_family(work: WorkDir) -> None:
    cluster = ctx_for(config(), work).config
    assert kubelet_unit(cluster, "debian").env_path == "/etc/default/kubelet"
    assert kubelet_unit(cluster, "rhel").env_path == "/etc/sysconfig/kubelet"
    assert "After=network-online.target containerd.service" in kubelet_unit(cluster, "").unit


def test_rendered_init_has_every_document(work: WorkDir) -> None:
    ctx = ctx_for(config(), work)
    fragment = KubeadmInitTask().plan(ctx)
    assert fragment is not None
    step = fragment.nodes["kubeadm/write-kubeadm-config@m1"].step
    assert isinstance(step, WriteKubeadmConfig)
    kinds = [d["kind"] for d in load_yaml_all(step.content)]
    assert kinds == [
        "InitConfiguration",
        "ClusterConfiguration",
        "KubeletConfiguration",
        "KubeProxyConfiguration",
    ]
