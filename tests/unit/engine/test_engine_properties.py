"""Properties of the scheduler over random DAGs, random caps and random failures."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from engine_helpers import Probe, Recorder, env_for
from hypothesis import given, settings
from hypothesis import strategies as st

from kubexm.engine import SUCCESS, EngineOptions, RunResult, Status, run
from kubexm.plan import Fragment, Graph


@dataclass
class Case:
    graph: Graph
    failing: set[str]
    opts: EngineOptions
    rec: Recorder


@st.composite
def cases(draw: st.DrawFn) -> Case:
    n = draw(st.integers(1, 25))
    hosts = draw(st.integers(1, 4))
    rec = Recorder()
    frag = Fragment("random")
    ids: list[str] = []
    failing: set[str] = set()
    for i in range(n):
        host = f"h{draw(st.integers(0, hosts - 1))}"
        deps = draw(st.sets(st.sampled_from(ids), max_size=3)) if ids else set()
        fail = draw(st.booleans().map(lambda b: b and draw(st.integers(0, 5)) == 0))
        probe = Probe(
            f"r/n{i}",
            rec,
            cost=draw(st.sampled_from([0.0, 0.001])),
            fail=fail,
            bulk=draw(st.booleans()),
            serial_group=draw(st.sampled_from([None, None, "etcd-member-add"])),
        )
        ids.append(frag.add(probe, host, after=sorted(deps)))
        if fail:
            failing.add(ids[-1])
    opts = EngineOptions(
        max_channels=draw(st.integers(1, 4)),
        max_bulk=draw(st.integers(1, 2)),
        per_host=draw(st.integers(1, 2)),
    )
    return Case(Graph.from_fragment(frag), failing, opts, rec)


def _execute(case: Case) -> RunResult:
    return asyncio.run(run(case.graph, env_for(case.graph), case.opts))


def _descendants(graph: Graph, roots: set[str]) -> set[str]:
    out: set[str] = set()
    stack = list(roots)
    while stack:
        for dep in graph.dependants(stack.pop()):
            if dep not in out:
                out.add(dep)
                stack.append(dep)
    return out


@settings(max_examples=60, deadline=None)
@given(cases())
def test_every_node_runs_at_most_once_after_its_dependencies(case: Case) -> None:
    result = _execute(case)
    for nid, count in case.rec.runs.items():
        assert count <= 1
        for dep in case.graph.nodes[nid].deps:
            assert result.outcomes[dep].status in SUCCESS
            assert case.rec.ended[dep] < case.rec.started[nid]


@settings(max_examples=60, deadline=None)
@given(cases())
def test_caps_are_never_exceeded(case: Case) -> None:
    _execute(case)
    peak = case.rec.peak
    assert peak["total"] <= case.opts.max_channels
    assert peak["bulk"] <= case.opts.max_bulk
    assert peak["group:etcd-member-add"] <= 1
    for key, value in peak.items():
        if key.startswith("host:"):
            assert value <= case.opts.per_host


@settings(max_examples=60, deadline=None)
@given(cases())
def test_dependants_of_failed_nodes_never_run_and_the_rest_completes(case: Case) -> None:
    result = _execute(case)
    doomed = _descendants(case.graph, case.failing)
    for nid, outcome in result.outcomes.items():
        if nid in doomed:
            assert outcome.status is Status.BLOCKED
            assert case.rec.runs[nid] == 0
        elif nid in case.failing:
            assert outcome.status is Status.FAILED
        else:
            assert outcome.status is Status.CHANGED
    assert result.ok == (not case.failing)
