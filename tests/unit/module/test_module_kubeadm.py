"""KubeadmModule: install → PKI → init → credentials → master joins → worker joins → token."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fakeconn import OK, FakeConnection, FakeSystemd, Unit
from kubeadm_fakes import TOKEN, FakeCluster, secrets_in
from kubeadm_fakes import Ctx as StepCtx

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.cache import Scope, ScopedCache
from kubexm.config import load_text
from kubexm.connector.base import Result
from kubexm.module.base import MODULES
from kubexm.module.kubeadm import KubeadmModule
from kubexm.plan import PLAN_HOST, Graph
from kubexm.runtime.workdir import WorkDir

CONFIG = """\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: demo}
spec:
  global: {user: ops, privateKeyPath: /keys/id}
  hosts:
    - {name: m1, address: 10.0.0.11}
    - {name: m2, address: 10.0.0.12}
    - {name: m3, address: 10.0.0.13}
    - {name: w1, address: 10.0.0.21}
    - {name: w2, address: 10.0.0.22}
  roleGroups: {master: [m1, m2, m3], etcd: [m1, m2, m3], worker: [w1, w2]}
  kubernetes: {type: kubeadm, version: v1.36.4}
"""


@dataclass
class Ctx:
    config: Cluster
    work_dir: WorkDir

    def hosts_with_role(self, role: str) -> Sequence[str]:
        return [h.name for h in self.config.hosts_in_role(role)]

    def facts(self, host: str) -> Mapping[str, object]:
        return {}


def config() -> str:
    return CONFIG


def ctx_for(text: str, work: WorkDir) -> Ctx:
    for name in ("kubeadm", "kubelet", "kubectl"):
        path = work.artifacts / name / "1.36.4" / "amd64" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())
    return Ctx(load_text(text, source="t.yaml").cluster, work)


def test_module_is_registered_as_kubeadm() -> None:
    assert MODULES.get("kubeadm") is KubeadmModule


def test_module_orders_the_stages(tmp_path: Path) -> None:
    ctx = ctx_for(config(), WorkDir(tmp_path / "demo"))
    fragment = KubeadmModule().plan(ctx)
    assert fragment is not None
    order = Graph.from_fragment(fragment).order
    pos = {nid: i for i, nid in enumerate(order)}
    chain = [
        "kubeadm/write-kubelet-unit@w2",
        "kubeadm/upload-kubeadm-pki@m3",
        "kubeadm/init-control-plane@m1",
        "kubeadm/create-join-token@m1",
        "kubeadm/upload-control-plane-certs@m1",
        "kubeadm/join-control-plane@m2",
        "kubeadm/join-worker@w1",
        "kubeadm/remove-join-token@m1",
    ]
    assert [pos[n] for n in chain] == sorted(pos[n] for n in chain)
    worker = fragment.nodes["kubeadm/join-worker@w1"]
    assert not any("join-worker" in d for d in worker.deps), "workers join in parallel"


def test_module_plans_nothing_in_binary_mode(tmp_path: Path) -> None:
    ctx = ctx_for(config().replace("type: kubeadm", "type: kubexm"), WorkDir(tmp_path / "d"))
    assert KubeadmModule().plan(ctx) is None


def _fake_hosts(names: list[str], cluster: FakeCluster) -> dict[str, FakeConnection]:
    conns = {}
    for name in names:
        conn = FakeConnection(name)
        cluster.install(conn)
        FakeSystemd({"kubelet.service": Unit()}).install(conn)
        conn.script("systemd-analyze verify", OK)
        conn.script(r"^end=", lambda cmd, fake: Result(0 if cluster.up else 1, "", ""), regex=True)
        conns[name] = conn
    return conns


async def _run_once(graph: Graph, conns: dict[str, FakeConnection], pipeline: ScopedCache) -> int:
    """Every node in graph order: check, then run when not done; the number that ran."""
    ran = 0
    for nid in graph.order:
        node = graph.nodes[nid]
        if node.host == PLAN_HOST:
            continue
        ctx = StepCtx(conns[node.host], pipeline)
        if not await node.step.check(ctx):
            await node.step.run(ctx)
            ran += 1
    return ran


async def test_whole_flow_converges_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    ctx = ctx_for(config(), WorkDir(tmp_path / "demo"))
    fragment = KubeadmModule().plan(ctx)
    assert fragment is not None
    graph = Graph.from_fragment(fragment)
    cluster = FakeCluster()
    conns = _fake_hosts(graph.hosts(), cluster)

    assert await _run_once(graph, conns, ScopedCache(Scope.PIPELINE)) > 0
    assert (cluster.inits, cluster.joins) == (1, 4)
    assert cluster.nodes == {"m1", "m2", "m3", "w1", "w2"}
    assert cluster.deleted == ["k3x9ab"], "the run's token is gone"
    argv = " ".join(cmd for conn in conns.values() for cmd in conn.ran)
    assert TOKEN not in argv and not secrets_in(argv)
    assert not any("unsafeSkipCAVerification" in text for text in cluster.configs)
    # kubeadm labels no worker: the role label comes through the API
    assert cluster.api.nodes["w1"]["metadata"]["labels"] == {"node-role.kubernetes.io/worker": ""}

    assert await _run_once(graph, conns, ScopedCache(Scope.PIPELINE)) == 0
    assert len(cluster.tokens) == 1, "no token when every node joined"
