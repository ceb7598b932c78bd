"""CreateClusterPipeline: the stage order, and the plan of every support-matrix row.

Each config of ``examples/matrix/`` is planned without hosts (``plan_kit``) and compared with
``tests/golden/plans/<row>.txt``; regenerate those with ``KUBEXM_UPDATE_GOLDEN=1`` and review
the diff. The structural tests below encode that review (which hosts get which steps, what
waits for what), so a wrong golden cannot pass unnoticed. Assertions about the Kubernetes
layer apply once its module is registered and are skipped with the reason until then.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from plan_kit import ancestors, plan_context, plan_graph, random_digests

import kubexm.module as module_package
from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.common import types as t
from kubexm.module import MODULES, Module
from kubexm.module.etcd import EtcdModule
from kubexm.module.os import OSModule
from kubexm.module.runtime import RuntimeModule
from kubexm.pipeline import create_cluster
from kubexm.pipeline.base import PIPELINES
from kubexm.pipeline.create_cluster import (
    KUBERNETES_MODULES,
    CreateClusterPipeline,
    kubernetes_modules,
)
from kubexm.plan import PLAN_HOST, Graph, PlanContext, Registry, to_text
from kubexm.task import Task

ROOT = Path(__file__).resolve().parents[3]
MATRIX = sorted(
    (ROOT / "examples" / "matrix").glob("*.yaml"),
    key=lambda p: tuple(int(x) for x in p.name.split("-")[0].split(".")),
)
GOLDEN = ROOT / "tests" / "golden" / "plans"
UPDATE = os.environ.get("KUBEXM_UPDATE_GOLDEN") == "1"
IDS = [p.name.split("-")[0] for p in MATRIX]


@dataclass(frozen=True)
class Planned:
    """One matrix row planned: its config, graph, printed plan and node ancestors."""

    row: str
    cluster: Cluster
    graph: Graph
    text: str
    before: dict[str, frozenset[str]]

    def hosts_of(self, area: str) -> set[str]:
        return {self.graph.nodes[nid].host for nid in self.nodes(area)}

    def nodes(self, area: str) -> list[str]:
        return [
            nid
            for nid, n in self.graph.nodes.items()
            if n.host != PLAN_HOST and n.step.name.split("/", 1)[0] == area
        ]

    def names_on(self, host: str, area: str) -> set[str]:
        nodes = self.graph.nodes
        return {nodes[nid].step.name for nid in self.nodes(area) if nodes[nid].host == host}

    def role(self, role: str) -> set[str]:
        return {h.name for h in self.cluster.hosts_in_role(role)}


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Planned]:
    """Plans each example once per module (the PKI makes a plan take a while)."""
    done: dict[Path, Planned] = {}

    def plan(path: Path) -> Planned:
        if path not in done:
            ctx = plan_context(path, tmp_path_factory.mktemp(path.stem))
            graph = plan_graph(CreateClusterPipeline(), ctx)
            row = ctx.config.support_row or "?"
            done[path] = Planned(row, ctx.config, graph, to_text(graph), ancestors(graph))
        return done[path]

    return plan


def after_all(p: Planned, later: Sequence[str], earlier: Sequence[str]) -> list[str]:
    """The pairs ``later <- earlier`` where ``later`` does not wait for ``earlier``."""
    return [f"{a} <- {b}" for a in later for b in earlier if b not in p.before[a]]


# -- goldens --------------------------------------------------------------------------------


def test_the_examples_cover_the_21_rows_once_each() -> None:
    assert len(MATRIX) == 21
    assert [f"{p.name.split('-')[0]}" for p in MATRIX] == [f"9.{n}" for n in range(3, 24)]


@pytest.mark.parametrize("path", MATRIX, ids=IDS)
def test_plan_matches_the_reviewed_golden(path: Path, planned: Callable[[Path], Planned]) -> None:
    p = planned(path)
    golden = GOLDEN / f"{p.row}.txt"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(p.text, encoding="utf-8")
    assert golden.exists(), f"no golden for row {p.row}: run with KUBEXM_UPDATE_GOLDEN=1"
    assert p.text == golden.read_text(encoding="utf-8")


def test_no_golden_is_left_without_its_example() -> None:
    assert sorted(g.stem for g in GOLDEN.glob("*.txt")) == sorted(IDS)


@pytest.mark.parametrize("row", ["9.20", "9.22"])
def test_the_plan_does_not_depend_on_the_generated_keys(row: str, tmp_path: Path) -> None:
    path = example_of(row)
    first = to_text(plan_graph(CreateClusterPipeline(), plan_context(path, tmp_path / "a")))
    other = plan_graph(CreateClusterPipeline(), plan_context(path, tmp_path / "b"), key_offset=1)
    second = to_text(other)
    assert random_digests(first, second) == []
    assert first == second


# -- structure: the node layer ----------------------------------------------------------


@pytest.mark.parametrize("path", MATRIX, ids=IDS)
def test_preflight_runs_before_everything_else(
    path: Path, planned: Callable[[Path], Planned]
) -> None:
    p = planned(path)
    checks = p.nodes("preflight")
    assert p.hosts_of("preflight") == set(p.graph.hosts())
    others = [n for n in p.graph.nodes if n not in checks and p.graph.nodes[n].host != PLAN_HOST]
    assert after_all(p, others, checks) == []


@pytest.mark.parametrize("path", MATRIX, ids=IDS)
def test_runtime_and_etcd_are_not_ordered_against_each_other(
    path: Path, planned: Callable[[Path], Planned]
) -> None:
    p = planned(path)
    runtime, etcd = p.nodes("runtime"), p.nodes("etcd")
    assert runtime
    assert not [(r, e) for r in runtime for e in etcd if e in p.before[r] or r in p.before[e]]
    assert after_all(p, runtime + etcd, p.nodes("os")) == []
    assert after_all(p, p.nodes("lb"), runtime + etcd) == []


@pytest.mark.parametrize("path", MATRIX, ids=IDS)
def test_runtime_runs_on_the_kubernetes_nodes_only(
    path: Path, planned: Callable[[Path], Planned]
) -> None:
    p = planned(path)
    assert p.hosts_of("runtime") == p.role("master") | p.role("worker")
    assert p.hosts_of("os") == set(p.graph.hosts())


@pytest.mark.parametrize("path", MATRIX, ids=IDS)
def test_etcd_steps_run_only_on_etcd_members_of_a_kubexm_etcd(
    path: Path, planned: Callable[[Path], Planned]
) -> None:
    p = planned(path)
    if p.cluster.spec.etcd.type == t.ETCD_KUBEXM:
        assert p.hosts_of("etcd") == p.role("etcd") == p.role("master")
        for host in p.role("etcd"):
            assert "etcd/start-etcd" in p.names_on(host, "etcd")
    else:
        assert p.nodes("etcd") == []


@pytest.mark.parametrize("path", MATRIX, ids=IDS)
def test_load_balancer_steps_run_where_the_row_says(
    path: Path, planned: Callable[[Path], Planned]
) -> None:
    p = planned(path)
    kind, kubeadm = p.cluster.lb_kind, p.cluster.spec.kubernetes.type == t.KUBERNETES_KUBEADM
    if kind == t.LB_NONE:
        assert p.nodes("lb") == []
    elif kind in t.LB_KINDS_ON_LB_HOSTS:
        assert p.hosts_of("lb") == p.role("loadbalancer") == {"lb1", "lb2"}
        for host in p.role("loadbalancer"):
            assert {"lb/install-lb-packages", "lb/start-lb-service"} <= p.names_on(host, "lb")
    elif kind == t.LB_KUBE_VIP:
        assert p.hosts_of("lb") == p.role("master")
        for host in p.role("master"):
            assert p.names_on(host, "lb") == {"lb/write-lb-manifest"}
    else:
        assert kind in t.LB_KINDS_WORKER_LOCAL
        assert p.hosts_of("lb") == p.role("worker") - p.role("master")
        form = "lb/write-lb-manifest" if kubeadm else "lb/start-lb-service"
        for host in p.role("worker"):
            names = p.names_on(host, "lb")
            assert form in names, "static pod for kubeadm, systemd service for kubexm"
            other = ({"lb/write-lb-manifest", "lb/start-lb-service"} - {form}).pop()
            assert other not in names


@pytest.mark.parametrize("path", MATRIX, ids=IDS)
def test_load_balancer_hosts_get_only_the_os_and_the_proxy(
    path: Path, planned: Callable[[Path], Planned]
) -> None:
    p = planned(path)
    lb_only = p.role("loadbalancer") - p.role("master") - p.role("worker")
    areas = {
        p.graph.nodes[nid].step.name.split("/", 1)[0]
        for nid in p.graph.nodes
        if p.graph.nodes[nid].host in lb_only
    }
    assert areas <= {"preflight", "os", "lb"}


# -- structure: the Kubernetes layer (once its modules exist) -----------------------------


def registered(name: str) -> None:
    if name not in MODULES:
        pytest.skip(f"module {name!r} is not registered yet (kubexm/module/ has no such module)")


def example_of(row: str) -> Path:
    return next(p for p in MATRIX if p.name.split("-")[0] == row)


@pytest.mark.parametrize("path", MATRIX, ids=IDS)
def test_control_plane_runs_on_the_masters_after_the_load_balancer(
    path: Path, planned: Callable[[Path], Planned], tmp_path: Path
) -> None:
    registered("control-plane")
    p = planned(path)
    ctx = plan_context(path, tmp_path)
    fragment = MODULES.get("control-plane")().plan(ctx)
    ids = [n.id for n in fragment or () if n.host != PLAN_HOST]
    if p.cluster.spec.kubernetes.type == t.KUBERNETES_KUBEADM:
        assert ids == [], "kubeadm makes the control plane"
        return
    assert ids and {p.graph.nodes[nid].host for nid in ids} == p.role("master")
    assert after_all(p, ids, p.nodes("lb") + p.nodes("etcd") + p.nodes("runtime")) == []


@pytest.mark.parametrize("path", MATRIX, ids=IDS)
def test_kubeadm_inits_the_first_master_then_joins_the_others(
    path: Path, planned: Callable[[Path], Planned]
) -> None:
    registered("kubeadm")
    p = planned(path)
    by_name: dict[str, list[str]] = {}
    for nid in p.nodes("kubeadm"):
        by_name.setdefault(p.graph.nodes[nid].step.name, []).append(nid)
    if p.cluster.spec.kubernetes.type == t.KUBERNETES_KUBEXM:
        assert by_name == {}
        return
    masters = [h.name for h in p.cluster.masters]
    (init,) = by_name["kubeadm/init-control-plane"]
    assert p.graph.nodes[init].host == masters[0]
    joins = by_name.get("kubeadm/join-control-plane", []) + by_name.get("kubeadm/join-worker", [])
    hosts = sorted(p.graph.nodes[nid].host for nid in joins)
    assert hosts == sorted(masters[1:] + sorted(p.role("worker") - p.role("master")))
    assert after_all(p, joins, [init]) == []
    assert after_all(p, [init], p.nodes("lb") + p.nodes("etcd") + p.nodes("runtime")) == []


# -- CreateClusterPipeline itself -----------------------------------------------------------


@dataclass
class Area(Module):
    """A stand-in module of the Kubernetes layer."""

    name: ClassVar[str] = "dns"

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        return []


def stand_ins(*names: str) -> Registry[type[Module]]:
    reg: Registry[type[Module]] = Registry("module")
    for name in names:
        reg.add(name, type(f"M_{name}", (Area,), {"name": name}))
    return reg


def test_kubernetes_modules_keep_the_layer_order_and_leave_out_missing_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(create_cluster, "MODULES", stand_ins("addons", "cni", "control-plane"))
    assert [m.name for m in kubernetes_modules()] == ["control-plane", "cni", "addons"]


def test_modules_run_in_stage_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(create_cluster, "MODULES", stand_ins(*KUBERNETES_MODULES))
    ctx = plan_context(example_of("9.3"), tmp_path)
    names = [m.name for m in CreateClusterPipeline().modules(ctx)]
    assert names == ["preflight", "os", "runtime", "etcd", "lb", *KUBERNETES_MODULES]


def test_skip_preflight_leaves_every_check_out(
    tmp_path: Path, planned: Callable[[Path], Planned]
) -> None:
    ctx = plan_context(example_of("9.4"), tmp_path)
    pipeline = CreateClusterPipeline(skip_preflight=True)
    assert "preflight" not in [m.name for m in pipeline.modules(ctx)]
    graph = plan_graph(pipeline, ctx)
    full = planned(example_of("9.4")).graph
    steps = {nid for nid, n in graph.nodes.items() if n.host != PLAN_HOST}
    full_steps = {nid for nid, n in full.nodes.items() if n.host != PLAN_HOST}
    assert steps == {nid for nid in full_steps if not nid.startswith("preflight/")}


def test_skip_names_single_checks_and_leftovers_only_warn(tmp_path: Path) -> None:
    ctx = plan_context(example_of("9.3"), tmp_path)
    pipeline = CreateClusterPipeline(skip=frozenset({"ports", "clock"}))
    preflight = pipeline.modules(ctx)[0]
    assert getattr(preflight, "leftovers_fatal", None) is False
    ids = plan_graph(pipeline, ctx).nodes
    assert "preflight/disk@master1" in ids
    assert "preflight/ports@master1" not in ids and "preflight/clock@worker2" not in ids


def test_runtime_and_etcd_form_one_stage_between_os_and_lb(
    planned: Callable[[Path], Planned],
) -> None:
    p = planned(example_of("9.22"))
    install = "runtime/install-containerd-binaries@master1"
    certs = "etcd/upload-etcd-certs@master1"
    assert set(p.graph.nodes[install].deps) == set(p.graph.nodes[certs].deps)
    assert "os/write-chrony-config@master1" in p.graph.nodes[install].deps
    assert {install, certs} <= p.before["lb/install-lb-packages@lb1"]


class NodeLayerOnly(CreateClusterPipeline):
    """A pipeline whose last modules are runtime and etcd."""

    def modules(self, ctx: PlanContext) -> Sequence[Module]:
        return [OSModule(), RuntimeModule(), EtcdModule()]


def test_runtime_and_etcd_are_planned_even_as_the_last_stage(tmp_path: Path) -> None:
    graph = NodeLayerOnly().plan(plan_context(example_of("9.5"), tmp_path))
    assert "runtime/start-containerd@worker1" in graph.nodes
    assert "etcd/start-etcd@master1" in graph.nodes


def test_pipeline_is_registered_as_create_cluster() -> None:
    assert PIPELINES.get("create-cluster") is CreateClusterPipeline


def test_every_kubernetes_module_on_disk_is_reachable_from_the_pipeline() -> None:
    """A module file that registers a Kubernetes-layer name is planned by ``create cluster``
    in a fresh interpreter, where nothing else imported it."""
    for info in pkgutil.iter_modules(module_package.__path__):
        importlib.import_module(f"kubexm.module.{info.name}")
    on_disk = [name for name in KUBERNETES_MODULES if name in MODULES]
    code = (
        "from kubexm.pipeline.create_cluster import kubernetes_modules;"
        "print(' '.join(m.name for m in kubernetes_modules()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split() == on_disk
