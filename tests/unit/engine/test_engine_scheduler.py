"""Behaviour of the DAG scheduler: order, caps, failure policies, retries, dry run, stop."""

from __future__ import annotations

import asyncio

import pytest
from engine_helpers import Probe, Recorder, UndoProbe, chain_graph, env_for

from kubexm.engine import (
    Engine,
    EngineOptions,
    Event,
    EventKind,
    RunStatus,
    StaticEnv,
    Status,
    run,
)
from kubexm.errors import ConnectError
from kubexm.plan import Fragment, Graph, RetryPolicy, sequence


def _graph(frag: Fragment) -> Graph:
    return Graph.from_fragment(frag, "test")


async def test_chain_runs_in_dependency_order() -> None:
    rec = Recorder()
    graph = chain_graph(rec, hosts=1, steps=5)
    result = await run(graph, env_for(graph))
    assert result.ok
    order = sorted(rec.started, key=rec.started.__getitem__)
    assert order == [f"t/step-{s}@n0" for s in range(5)]
    assert result.counts() == {"changed": 5}


async def test_check_true_marks_node_unchanged_without_running() -> None:
    rec = Recorder()
    frag = Fragment("f")
    frag.add(Probe("t/already", rec, done=True), "n0")
    graph = _graph(frag)
    result = await run(graph, env_for(graph))
    assert result.outcomes["t/already@n0"].status is Status.UNCHANGED
    assert rec.runs["t/already@n0"] == 0


async def test_hosts_do_not_wait_for_each_other() -> None:
    rec = Recorder()
    frag = Fragment("f")
    frag.chain((Probe(f"t/slow-{s}", rec, cost=0.05), "slow") for s in range(3))
    frag.chain((Probe(f"t/fast-{s}", rec), "fast") for s in range(3))
    graph = _graph(frag)
    result = await run(graph, env_for(graph))
    assert result.ok
    assert rec.ended["t/fast-2@fast"] < rec.ended["t/slow-0@slow"]


@pytest.mark.parametrize(
    ("opts", "key", "cap"),
    [
        (EngineOptions(max_channels=3, per_host=4), "total", 3),
        (EngineOptions(max_channels=64, per_host=1), "host:n0", 1),
        (EngineOptions(max_channels=64, per_host=2), "host:n1", 2),
    ],
    ids=["channels-cap", "one-per-host", "two-per-host"],
)
async def test_concurrency_caps_hold(opts: EngineOptions, key: str, cap: int) -> None:
    rec = Recorder()
    frag = Fragment("f")
    for h in range(4):
        for s in range(6):
            frag.add(Probe(f"t/par-{s}", rec, cost=0.005), f"n{h}")
    graph = _graph(frag)
    result = await run(graph, env_for(graph), opts)
    assert result.ok
    assert rec.peak[key] == cap


async def test_bulk_and_serial_group_caps_hold() -> None:
    rec = Recorder()
    frag = Fragment("f")
    for h in range(6):
        frag.add(Probe("t/upload", rec, cost=0.005, bulk=True), f"n{h}")
        frag.add(Probe("t/join", rec, cost=0.005, serial_group="control-plane-join"), f"n{h}")
    graph = _graph(frag)
    result = await run(graph, env_for(graph), EngineOptions(max_bulk=2, per_host=2))
    assert result.ok
    assert rec.peak["bulk"] == 2
    assert rec.peak["group:control-plane-join"] == 1


async def test_failure_blocks_only_dependants() -> None:
    rec = Recorder()
    frag = Fragment("f")
    bad = frag.add(Probe("t/bad", rec, fail=True), "n0")
    frag.add(Probe("t/after-bad", rec), "n0", after=[bad])
    frag.chain((Probe(f"t/other-{s}", rec), "n1") for s in range(3))
    graph = _graph(frag)
    result = await run(graph, env_for(graph))
    assert result.status is RunStatus.FAILED
    assert result.outcomes["t/after-bad@n0"].status is Status.BLOCKED
    assert "t/bad@n0" in result.outcomes["t/after-bad@n0"].message
    assert result.outcomes["t/other-2@n1"].status is Status.CHANGED
    assert "re-run the same command" in result.hint


async def test_fail_fast_starts_no_new_node_after_a_failure() -> None:
    rec = Recorder()
    frag = Fragment("f")
    frag.add(Probe("t/bad", rec, fail=True), "n0")
    frag.chain((Probe(f"t/slow-{s}", rec, cost=0.02), "n1") for s in range(3))
    graph = _graph(frag)
    result = await run(graph, env_for(graph), EngineOptions(fail_fast=True))
    assert result.status is RunStatus.FAILED
    assert result.outcomes["t/slow-0@n1"].status is Status.CHANGED
    assert result.outcomes["t/slow-2@n1"].status is Status.NOT_STARTED


async def test_retry_policy_retries_listed_errors_only() -> None:
    rec = Recorder()
    policy = RetryPolicy(attempts=3, backoff=0.001)
    frag = Fragment("f")
    flaky = Probe(
        "t/flaky", rec, error=lambda m: ConnectError("n0", m), fail_times=[2], retry=policy
    )
    frag.add(flaky, "n0")
    frag.add(Probe("t/broken", rec, fail_times=[1], retry=policy), "n0")
    graph = _graph(frag)
    events: list[Event] = []
    result = await run(graph, env_for(graph), listeners=[events.append])
    assert result.outcomes["t/flaky@n0"].status is Status.CHANGED
    assert result.outcomes["t/flaky@n0"].attempts == 3
    assert result.outcomes["t/broken@n0"].status is Status.FAILED
    assert result.outcomes["t/broken@n0"].attempts == 1
    assert sum(e.kind is EventKind.NODE_RETRY for e in events) == 2


async def test_step_timeout_fails_the_node_with_a_clear_message() -> None:
    rec = Recorder()
    frag = Fragment("f")
    frag.add(Probe("t/hang", rec, cost=1.0, timeout=0.01), "n0")
    graph = _graph(frag)
    result = await run(graph, env_for(graph))
    assert result.outcomes["t/hang@n0"].status is Status.FAILED
    assert result.outcomes["t/hang@n0"].message == "timed out after 0.01s"


async def test_dry_run_only_checks_and_reports_per_host() -> None:
    rec = Recorder()
    frag = Fragment("f")
    first = frag.add(Probe("t/write", rec), "n0")
    frag.add(Probe("t/ok", rec, done=True), "n0", after=[first])
    frag.add(Probe("t/write", rec), "n1")
    graph = _graph(frag)
    result = await run(graph, env_for(graph), EngineOptions(dry_run=True))
    assert result.ok
    assert sum(rec.runs.values()) == 0
    assert result.would_change() == {"n0": ["t/write"], "n1": ["t/write"]}
    assert result.to_dict()["would_change"]["n1"] == ["t/write"]


async def test_dry_run_reports_a_check_that_fails_after_pending_steps_as_would_change() -> None:
    rec = Recorder()
    frag = Fragment("f")
    install = frag.add(Probe("t/install", rec), "n0")
    between = frag.add(Probe("t/between", rec, done=True), "n0", after=[install])
    frag.add(Probe("t/import", rec, check_fails=True), "n0", after=[between])
    frag.add(Probe("t/import", rec, check_fails=True), "n1")  # nothing pending before it
    graph = _graph(frag)

    result = await run(graph, env_for(graph), EngineOptions(dry_run=True))

    pending = result.outcomes["t/import@n0"]
    assert pending.status is Status.WOULD_CHANGE
    assert pending.message == "checked before earlier steps ran: ctr: not found"
    assert result.outcomes["t/import@n1"].status is Status.FAILED
    real = await run(graph, env_for(graph))
    assert real.outcomes["t/import@n0"].status is Status.FAILED, "only a dry run forgives it"


async def test_rollback_undoes_changed_chain_newest_first() -> None:
    rec = Recorder()
    frag = Fragment("f")
    frag.chain(
        [
            (UndoProbe("t/one", rec), "n0"),
            (Probe("t/two", rec), "n0"),
            (UndoProbe("t/three", rec), "n0"),
            (UndoProbe("t/four", rec, fail=True), "n0"),
        ]
    )
    graph = _graph(frag)
    result = await run(graph, env_for(graph), EngineOptions(rollback=True))
    assert rec.rollbacks == ["t/four@n0", "t/three@n0", "t/one@n0"]
    assert ("t/one@n0", "rolled back") in result.rollbacks


async def test_stop_lets_running_nodes_finish_and_reports_interrupted() -> None:
    rec = Recorder()
    graph = chain_graph(rec, hosts=2, steps=4, cost=0.02)
    engine = Engine(graph, env_for(graph))

    def stop_after_first(event: Event) -> None:
        if event.kind is EventKind.NODE_FINISHED:
            engine.stop()

    engine.listeners.append(stop_after_first)
    result = await engine.run()
    assert result.status is RunStatus.INTERRUPTED
    assert result.counts()["changed"] == 2
    assert result.outcomes["t/step-3@n0"].status is Status.NOT_STARTED
    assert "re-run" in result.hint


async def test_cancelling_the_run_drains_and_returns_a_result() -> None:
    rec = Recorder()
    graph = chain_graph(rec, hosts=1, steps=3, cost=0.05)
    task = asyncio.create_task(run(graph, env_for(graph)))
    await asyncio.sleep(0.02)
    task.cancel()
    result = await task
    assert result.status is RunStatus.INTERRUPTED
    assert result.outcomes["t/step-0@n0"].status is Status.CHANGED
    assert rec.runs["t/step-1@n0"] == 0


async def test_barrier_nodes_link_modules_without_host_work() -> None:
    rec = Recorder()
    first, second = Fragment("a"), Fragment("b")
    for h in range(9):
        first.add(Probe("a/one", rec), f"n{h}")
        second.add(Probe("b/two", rec), f"n{h}")
    graph = Graph.from_fragment(sequence("p", [first, second]))
    result = await run(graph, env_for(graph))
    assert result.ok
    assert max(rec.ended[f"a/one@n{h}"] for h in range(9)) < min(
        rec.started[f"b/two@n{h}"] for h in range(9)
    )


async def test_unexpected_exception_is_reported_with_its_type() -> None:
    rec = Recorder()
    frag = Fragment("f")
    frag.add(Probe("t/bug", rec, fail=True, error=ValueError), "n0")
    graph = _graph(frag)
    result = await run(graph, env_for(graph))
    assert result.outcomes["t/bug@n0"].message.startswith("ValueError: ")


async def test_broken_listener_does_not_break_the_run() -> None:
    rec = Recorder()
    graph = chain_graph(rec, hosts=1, steps=2)

    def broken(event: Event) -> None:
        raise RuntimeError("display gone")

    result = await run(graph, env_for(graph), listeners=[broken])
    assert result.ok


async def test_missing_connection_fails_node_not_run() -> None:
    rec = Recorder()
    frag = Fragment("f")
    frag.add(Probe("t/x", rec), "ghost")
    graph = _graph(frag)
    result = await run(graph, StaticEnv({}))
    assert result.outcomes["t/x@ghost"].status is Status.FAILED
    assert "no connection for host ghost" in result.outcomes["t/x@ghost"].message


async def test_empty_graph_succeeds_at_once() -> None:
    result = await run(Graph("empty", []), StaticEnv({}))
    assert result.ok
    assert result.outcomes == {}


async def test_nodes_queued_for_a_slot_do_not_start_after_stop() -> None:
    rec = Recorder()
    frag = Fragment("f")
    for s in range(5):
        frag.add(Probe(f"t/q-{s}", rec, cost=0.02), "n0")
    graph = _graph(frag)
    engine = Engine(graph, env_for(graph))
    engine.listeners.append(lambda e: engine.stop() if e.kind is EventKind.NODE_STARTED else None)
    result = await engine.run()
    assert sum(rec.runs.values()) == 1
    assert result.counts() == {"changed": 1, "not-started": 4}
