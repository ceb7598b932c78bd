"""Progress model, plain lines and the rich live view."""

from __future__ import annotations

import io

from engine_helpers import Probe, Recorder, env_for
from rich.console import Console

from kubexm.engine import Event, EventKind, run
from kubexm.engine.progress import (
    LiveProgress,
    PlainProgress,
    ProgressModel,
    make_progress,
)
from kubexm.plan import Fragment, Graph, sequence


def _graph(rec: Recorder, fail: bool = False) -> Graph:
    a, b = Fragment("a"), Fragment("b")
    for h in range(3):
        a.chain(
            [(Probe("t/one", rec), f"n{h}"), (Probe("t/two", rec, fail=fail and h == 0), f"n{h}")]
        )
    for h in range(30):
        b.add(Probe("t/three", rec), f"n{h % 3}", id=f"t/three-{h}@n{h % 3}")
    return Graph.from_fragment(sequence("p", [a, b]))


async def test_model_tracks_done_per_host_and_failures() -> None:
    rec = Recorder()
    graph = _graph(rec, fail=True)
    model = ProgressModel(graph)
    await run(graph, env_for(graph), listeners=[model.update])
    assert model.total == 36
    assert model.rows["n0"].state == "failed"
    assert model.rows["n1"].done == 12
    assert model.rows["n1"].state == "blocked"
    assert model.finished
    assert len(model.slowest(3)) == 3


def test_plain_progress_writes_outcome_lines() -> None:
    lines: list[str] = []
    view = PlainProgress(lines.append)
    view(Event(EventKind.NODE_STARTED, 1.0, "a@n0", "n0", "a"))
    view(Event(EventKind.NODE_FINISHED, 2.0, "a@n0", "n0", "a", "changed", 1.0))
    view(Event(EventKind.NODE_FAILED, 2.0, "b@n0", "n0", "b", "failed", 0.5, "boom"))
    view(Event(EventKind.RUN_FINISHED, 3.0, status="failed", message="re-run"))
    view.close()
    assert lines == [
        "[n0] a: changed (1.0s)",
        "[n0] b: failed (0.5s): boom",
        "==> run failed: re-run",
    ]


async def test_live_view_renders_rows_and_prints_slowest_steps() -> None:
    rec = Recorder()
    graph = _graph(rec)
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    view = make_progress(console, graph)
    assert isinstance(view, LiveProgress)
    await run(graph, env_for(graph), listeners=[view])
    view.close()
    text = out.getvalue()
    assert "slowest steps" in text
    assert "n0" in text


def test_make_progress_is_plain_when_not_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False)
    view = make_progress(console, Graph("empty", []))
    assert isinstance(view, PlainProgress)
    view(Event(EventKind.NODE_FINISHED, 2.0, "a@n0", "n0", "a", "changed", 1.0))
    assert out.getvalue() == "[n0] a: changed (1.0s)\n"
