"""The sqlite state store and resume: after a failed run, skip what succeeded with the same
inputs; after a run that succeeded, check everything again."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import Probe, Recorder, env_for

from kubexm.engine import EngineOptions, RunStatus, StateStore, Status, run
from kubexm.engine.context import StaticEnv
from kubexm.errors import PlanError, StateError
from kubexm.plan import Fragment, Graph


def _row(node: str, status: str = "changed") -> dict[str, object]:
    return {
        "node": node,
        "host": "n0",
        "step": "t/x",
        "fingerprint": "fp1",
        "status": status,
        "started": 1.0,
        "finished": 2.0,
        "attempts": 1,
        "message": "",
    }


def test_store_uses_wal_and_records_runs_and_results(tmp_path: Path) -> None:
    store = StateStore.in_dir(tmp_path)
    store.begin_run("r1", "g", "create cluster", 1.0, dry_run=False)
    store.record("r1", _row("t/x@n0"), success=True)
    store.finish_run("r1", "succeeded", 3.0)
    mode = sqlite3.connect(tmp_path / "state.db").execute("PRAGMA journal_mode").fetchone()
    assert mode == ("wal",)
    assert store.history() == {"t/x@n0": "fp1"}
    assert store.runs()[0]["status"] == "succeeded"
    assert store.results("r1")[0]["node_id"] == "t/x@n0"
    store.close()


def test_failure_and_invalidate_forget_the_last_success(tmp_path: Path) -> None:
    store = StateStore.in_dir(tmp_path)
    store.begin_run("r1", "g", "c", 1.0, dry_run=False)
    store.record("r1", _row("a@n0"), success=True)
    store.record("r1", _row("b@n0"), success=True)
    store.record("r1", _row("a@n0", "failed"), success=False)
    store.invalidate("b@n0")
    assert store.history() == {}
    store.close()


def test_store_errors_become_state_errors(tmp_path: Path) -> None:
    (tmp_path / "state.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError, match="state store"):
        StateStore.in_dir(tmp_path)


def _graph(
    rec: Recorder, version_of_b: str = "1", fail_b: bool = False, fail_other: bool = False
) -> Graph:
    frag = Fragment("resume")
    a = frag.add(Probe("t/a", rec), "n0")
    b = frag.add(Probe("t/b", rec, version=version_of_b, fail=fail_b), "n0", after=[a])
    frag.add(Probe("t/c", rec), "n0", after=[b])
    frag.add(Probe("t/other", rec, fail=fail_other), "n1")
    return Graph.from_fragment(frag)


async def _run(tmp_path: Path, graph: Graph, **opts: Any) -> dict[str, Status]:
    store = StateStore.in_dir(tmp_path)
    try:
        result = await run(graph, env_for(graph), EngineOptions(**opts), store=store)
    finally:
        store.close()
    return {nid: o.status for nid, o in result.outcomes.items()}


async def test_rerun_after_a_failure_skips_everything_that_succeeded(tmp_path: Path) -> None:
    await _run(tmp_path, _graph(Recorder(), fail_other=True))
    rec = Recorder()
    statuses = await _run(tmp_path, _graph(rec))
    assert {n for n, s in statuses.items() if s is Status.RESUMED} == {
        "t/a@n0", "t/b@n0", "t/c@n0"
    }  # fmt: skip
    assert statuses["t/other@n1"] is Status.CHANGED
    assert sum(rec.runs.values()) == 1


async def test_a_run_that_succeeded_leaves_nothing_to_resume(tmp_path: Path) -> None:
    await _run(tmp_path, _graph(Recorder()))
    store = StateStore.in_dir(tmp_path)
    assert store.history() == {}
    assert store.runs()[0]["status"] == "succeeded"
    store.close()
    rec = Recorder()
    statuses = await _run(tmp_path, _graph(rec))
    assert set(statuses.values()) == {Status.CHANGED}  # every step checked (and run) again
    assert sum(rec.runs.values()) == 4


async def test_changed_inputs_rerun_the_node_and_its_dependants(tmp_path: Path) -> None:
    await _run(tmp_path, _graph(Recorder(), fail_other=True))
    rec = Recorder()
    statuses = await _run(tmp_path, _graph(rec, version_of_b="2", fail_other=True))
    assert statuses["t/a@n0"] is Status.RESUMED
    assert statuses["t/b@n0"] is Status.CHANGED
    assert statuses["t/c@n0"] is Status.CHANGED
    assert statuses["t/other@n1"] is Status.FAILED


async def test_a_host_reinstalled_since_the_failed_run_is_not_skipped(tmp_path: Path) -> None:
    def env(graph: Graph, n0_machine: str) -> StaticEnv:
        facts = {"n0": {"machine_id": n0_machine}, "n1": {"machine_id": "m-n1"}}
        return StaticEnv(env_for(graph).connections, facts)

    first = _graph(Recorder(), fail_other=True)
    store = StateStore.in_dir(tmp_path)
    await run(first, env(first, "m-n0"), store=store)
    again = _graph(Recorder())
    result = await run(again, env(again, "m-n0-reinstalled"), store=store)
    store.close()

    statuses = {nid: o.status for nid, o in result.outcomes.items()}
    assert statuses == dict.fromkeys(["t/a@n0", "t/b@n0", "t/c@n0", "t/other@n1"], Status.CHANGED)


async def test_the_same_machine_id_resumes(tmp_path: Path) -> None:
    first = _graph(Recorder(), fail_other=True)
    env = StaticEnv(env_for(first).connections, {"n0": {"machine_id": "m"}, "n1": {}})
    store = StateStore.in_dir(tmp_path)
    await run(first, env, store=store)
    result = await run(_graph(Recorder()), env, store=store)
    store.close()

    assert result.outcomes["t/a@n0"].status is Status.RESUMED


async def test_fresh_ignores_history(tmp_path: Path) -> None:
    await _run(tmp_path, _graph(Recorder(), fail_other=True))
    rec = Recorder()
    statuses = await _run(tmp_path, _graph(rec), fresh=True)
    assert set(statuses.values()) == {Status.CHANGED}


async def test_rerun_after_failure_resumes_at_the_failed_node(tmp_path: Path) -> None:
    first = await _run(tmp_path, _graph(Recorder(), fail_b=True))
    assert first["t/c@n0"] is Status.BLOCKED
    rec = Recorder()
    statuses = await _run(tmp_path, _graph(rec))
    assert statuses["t/a@n0"] is Status.RESUMED
    assert statuses["t/b@n0"] is Status.CHANGED
    assert statuses["t/c@n0"] is Status.CHANGED


async def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    await _run(tmp_path, _graph(Recorder()), dry_run=True)
    store = StateStore.in_dir(tmp_path)
    assert store.runs() == []
    store.close()


async def test_dry_run_after_a_run_shows_what_resume_skips(tmp_path: Path) -> None:
    await _run(tmp_path, _graph(Recorder(), fail_other=True))
    statuses = await _run(tmp_path, _graph(Recorder(), version_of_b="2"), dry_run=True)
    assert statuses["t/a@n0"] is Status.RESUMED
    assert statuses["t/b@n0"] is Status.WOULD_CHANGE
    store = StateStore.in_dir(tmp_path)
    assert len(store.runs()) == 1
    assert "t/b@n0" in store.history()
    store.close()


async def test_run_status_is_recorded(tmp_path: Path) -> None:
    graph = _graph(Recorder(), fail_b=True)
    store = StateStore.in_dir(tmp_path)
    result = await run(graph, env_for(graph), store=store)
    assert result.status is RunStatus.FAILED
    assert store.runs()[0]["status"] == "failed"
    store.close()


class BrokenStore(StateStore):
    def write(
        self, run_id: str, rows: Sequence[tuple[dict[str, Any], bool]], invalidate: Sequence[str]
    ) -> None:
        raise StateError("disk full", "free space")


async def test_a_failing_store_stops_the_run_and_raises(tmp_path: Path) -> None:
    rec = Recorder()
    graph = _graph(rec)
    store = BrokenStore(tmp_path / "state.db")
    with pytest.raises(StateError, match="disk full"):
        await run(graph, env_for(graph), store=store)
    assert sum(rec.runs.values()) < len(graph)
    store.close()


@dataclass(frozen=True, eq=False)
class Unhashable(Probe):
    def fingerprint(self) -> str:
        raise PlanError("step input of type object has no stable fingerprint")


async def test_unfingerprintable_step_fails_before_anything_runs(tmp_path: Path) -> None:
    rec = Recorder()
    frag = Fragment("f")
    frag.add(Probe("t/fine", rec), "n0")
    frag.add(Unhashable("t/odd", rec), "n0")
    graph = Graph.from_fragment(frag)
    store = StateStore.in_dir(tmp_path)
    with pytest.raises(PlanError, match="no stable fingerprint"):
        await run(graph, env_for(graph), store=store)
    assert sum(rec.runs.values()) == 0
    store.close()


async def test_a_step_that_is_not_resumable_runs_again_every_time(tmp_path: Path) -> None:
    def graph(rec: Recorder, fail: bool = False) -> Graph:
        frag = Fragment("checks")
        frag.add(NotResumable("t/check", rec), "n0")
        frag.add(Probe("t/a", rec), "n0")
        frag.add(Probe("t/b", rec, fail=fail), "n1")
        return Graph.from_fragment(frag)

    await _run(tmp_path, graph(Recorder(), fail=True))
    rec = Recorder()
    statuses = await _run(tmp_path, graph(rec))
    assert statuses["t/a@n0"] is Status.RESUMED
    assert statuses["t/check@n0"] is Status.CHANGED
    assert rec.runs["t/check@n0"] == 1


@dataclass(frozen=True, eq=False)
class NotResumable(Probe):
    resumable: bool = False
