"""ControlPlaneModule: install, then start and wait, then RBAC; nothing in kubeadm mode."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from fakeconn import OK, FakeConnection, FakeSystemd, Unit
from stepctx import Ctx as Ctx_

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import load_text
from kubexm.connector.base import Result
from kubexm.module import MODULES
from kubexm.module.control_plane import ControlPlaneModule
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
    - {name: m2, address: 10.0.0.12}
    - {name: w1, address: 10.0.0.21}
  roleGroups:
    master: [m1, m2]
    etcd: [m1, m2, w1]
    worker: [w1]
  kubernetes: {type: kubexm, version: v1.36.4}
"""
BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")


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
    for name in BINARIES:
        path = work.artifacts / file_artifact(name, "1.36.4", "amd64").cache_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())
    return Ctx(load_text(text, source="t.yaml").cluster, work)


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Fragment:
    fragment = ControlPlaneModule().plan(ctx_for(CONFIG, tmp_path_factory.mktemp("cpm")))
    assert fragment is not None
    return fragment


def test_registered_as_control_plane() -> None:
    assert MODULES.get("control-plane") is ControlPlaneModule


def test_every_master_starts_only_after_every_master_is_installed(planned: Fragment) -> None:
    start = planned.nodes["kubernetes/start-kube-services/control-plane@m1"]
    assert set(start.deps) == {
        "kubernetes/write-kube-config/control-plane@m1",
        "kubernetes/write-kube-config/control-plane@m2",
    }


def test_rbac_waits_for_every_api_server(planned: Fragment) -> None:
    rbac = planned.nodes["kubernetes/install-kube-rbac@m1"]
    assert set(rbac.deps) == {
        "kubernetes/wait-kube-apiserver@m1",
        "kubernetes/wait-kube-apiserver@m2",
    }
    assert planned.exits() == ["kubernetes/install-kube-rbac@m1"]
    assert planned.hosts() == ["m1", "m2"]


def test_nothing_in_kubeadm_mode(tmp_path: Path) -> None:
    ctx = ctx_for(CONFIG.replace("type: kubexm", "type: kubeadm"), tmp_path)
    assert ControlPlaneModule().plan(ctx) is None


def printf_to_file(argv: list[str], fake: FakeConnection) -> Result:
    """``printf '%s\\n' <value> > <path>`` as the start step records its digest."""
    fake.write(argv[-1], argv[-3] + "\n")
    return OK


class Apiserver:
    """What the masters' kubectl sees: ready, and the objects applied so far."""

    def __init__(self) -> None:
        self.applied: list[str] = []

    def install(self, fake: FakeConnection) -> None:
        fake.script("get --raw /readyz", OK)
        fake.script(" diff -f -", lambda c, f: Result(0 if self.applied else 1, "", ""))
        fake.script(" apply -f -", self.apply)

    def apply(self, cmd: str, fake: FakeConnection) -> Result:
        self.applied.append(str(fake.stdins[-1]))
        return OK


def fake_master(name: str, api: Apiserver) -> FakeConnection:
    fake = FakeConnection(name)
    units = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
    FakeSystemd({f"{u}.service": Unit() for u in units}).install(fake)
    fake.script("systemd-analyze verify", OK)
    fake.on("printf", printf_to_file)
    api.install(fake)
    return fake


async def test_the_whole_module_converges_and_a_second_run_changes_nothing(
    planned: Fragment,
) -> None:
    api = Apiserver()
    hosts = {name: fake_master(name, api) for name in ("m1", "m2")}
    graph = Graph.from_fragment(planned)
    for nid in graph.order:
        node = graph.nodes[nid]
        ctx = Ctx_(hosts[node.host], host=node.host)
        if not await node.step.check(ctx):
            await node.step.run(ctx)
        assert await node.step.check(ctx), nid
    assert len(api.applied) == 1
    m1 = hosts["m1"]
    assert m1.files["/etc/kubernetes/pki/ca.key"].mode == 0o600
    assert "--advertise-address=10.0.0.11" in m1.text("/etc/systemd/system/kube-apiserver.service")
    before = {name: (fake.snapshot(), len(fake.puts)) for name, fake in hosts.items()}
    for nid in graph.order:
        node = graph.nodes[nid]
        assert await node.step.check(Ctx_(hosts[node.host], host=node.host)), nid
    assert {name: (fake.snapshot(), len(fake.puts)) for name, fake in hosts.items()} == before
