"""NodesModule: per node install then start, then labels from the first master."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from fakeconn import OK, FakeConnection, FakeSystemd, Unit
from node_api_fake import NodeApi
from stepctx import Ctx as StepCtx

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import load_text
from kubexm.connector.base import Result
from kubexm.module import MODULES
from kubexm.module.nodes import NodesModule
from kubexm.plan import Fragment, Graph
from kubexm.resource.resolve import file_artifact
from kubexm.runtime.workdir import WorkDir

CONFIG = """\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: demo}
spec:
  global: {user: ops, privateKeyPath: /keys/id}
  hosts:
    - {name: m1, address: 10.0.0.11}
    - {name: w1, address: 10.0.0.21}
    - {name: w2, address: 10.0.0.22}
  roleGroups:
    master: [m1]
    etcd: [m1]
    worker: [w1, w2]
  kubernetes: {type: kubexm, version: v1.35.8}
"""


@dataclass
class Ctx:
    config: Cluster
    work_dir: WorkDir

    def hosts_with_role(self, role: str) -> Sequence[str]:
        return [h.name for h in self.config.hosts_in_role(role)]

    def facts(self, host: str) -> Mapping[str, object]:
        return {}


def ctx_for(text: str, tmp_path: Path) -> Ctx:
    work = WorkDir(tmp_path / "demo")
    for name in ("kubelet", "kube-proxy"):
        path = work.artifacts / file_artifact(name, "1.35.8", "amd64").cache_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())
    return Ctx(load_text(text, source="t.yaml").cluster, work)


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Fragment:
    fragment = NodesModule().plan(ctx_for(CONFIG, tmp_path_factory.mktemp("nodes")))
    assert fragment is not None
    return fragment


def test_registered_as_nodes() -> None:
    assert MODULES.get("nodes") is NodesModule


def test_a_node_starts_after_its_own_install_only(planned: Fragment) -> None:
    start = planned.nodes["kubernetes/start-kube-services/node@w2"]
    assert list(start.deps) == ["kubernetes/write-kube-config/node@w2"]


def test_labels_wait_for_every_node(planned: Fragment) -> None:
    label = planned.nodes["kubernetes/write-node-labels/w1@m1"]
    assert set(label.deps) == {
        f"kubernetes/start-kube-services/node@{h}" for h in ("m1", "w1", "w2")
    }
    assert len(Graph.from_fragment(planned)) == 3 * 4 + 3


def test_nothing_in_kubeadm_mode(tmp_path: Path) -> None:
    ctx = ctx_for(CONFIG.replace("type: kubexm", "type: kubeadm"), tmp_path)
    assert NodesModule().plan(ctx) is None


def printf_to_file(argv: list[str], fake: FakeConnection) -> Result:
    """``printf '%s\\n' <value> > <path>`` as the start step records its digest."""
    fake.write(argv[-1], argv[-3] + "\n")
    return OK


def fake_node(name: str, api: NodeApi) -> FakeConnection:
    fake = FakeConnection(name)
    FakeSystemd({"kubelet.service": Unit(), "kube-proxy.service": Unit()}).install(fake)
    fake.script("systemd-analyze verify", OK)
    fake.on("printf", printf_to_file)
    if name == "m1":
        api.install(fake)
    return fake


async def test_the_whole_module_converges_and_a_second_run_changes_nothing(
    planned: Fragment,
) -> None:
    api = NodeApi(["m1", "w1", "w2"])
    hosts = {name: fake_node(name, api) for name in api.nodes}
    graph = Graph.from_fragment(planned)
    for nid in graph.order:
        node = graph.nodes[nid]
        ctx = StepCtx(hosts[node.host], host=node.host)
        if not await node.step.check(ctx):
            await node.step.run(ctx)
        assert await node.step.check(ctx), nid
    assert api.nodes["m1"]["spec"] == {
        "taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    }
    assert api.nodes["w2"]["metadata"]["labels"] == {"node-role.kubernetes.io/worker": ""}
    assert hosts["w1"].text("/var/lib/kubexm/kubelet.applied")
    before = {name: (fake.snapshot(), len(fake.puts)) for name, fake in hosts.items()}
    for nid in graph.order:
        node = graph.nodes[nid]
        assert await node.step.check(StepCtx(hosts[node.host], host=node.host)), nid
    assert {name: (fake.snapshot(), len(fake.puts)) for name, fake in hosts.items()} == before
