"""Engine events and the JSON-lines event log."""

from __future__ import annotations

import json
from pathlib import Path

from engine_helpers import Probe, Recorder, env_for

from kubexm.engine import Event, EventKind, JsonlEventLog, run
from kubexm.plan import Fragment, Graph


def test_event_dict_drops_empty_fields() -> None:
    event = Event(EventKind.NODE_FINISHED, 1.5, "a@n0", "n0", "a", "changed", 0.25)
    assert event.to_dict() == {
        "kind": "node-finished",
        "at": 1.5,
        "node": "a@n0",
        "host": "n0",
        "step": "a",
        "status": "changed",
        "duration": 0.25,
    }


async def test_jsonl_log_gets_one_line_per_event_of_a_run(tmp_path: Path) -> None:
    rec = Recorder()
    frag = Fragment("f")
    first = frag.add(Probe("t/ok", rec), "n0")
    frag.add(Probe("t/bad", rec, fail=True), "n0", after=[first])
    graph = Graph.from_fragment(frag)
    log = JsonlEventLog.for_run(tmp_path, "run-1")
    assert log.path == tmp_path / "logs" / "run-1.jsonl"
    await run(graph, env_for(graph), listeners=[log])
    log.close()
    log.close()
    kinds = [json.loads(line)["kind"] for line in log.path.read_text().splitlines()]
    assert kinds == [
        "run-started",
        "node-started",
        "node-finished",
        "node-started",
        "node-failed",
        "run-finished",
    ]
