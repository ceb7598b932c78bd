"""The run result and its ``-o json`` form."""

from __future__ import annotations

import json

from kubexm.engine import NodeOutcome, RunResult, RunStatus, Status


def _result() -> RunResult:
    res = RunResult("r1", "g", RunStatus.FAILED, 10.0, 20.0, dry_run=False)
    res.outcomes = {
        "a@n0": NodeOutcome("a@n0", "n0", "a", Status.CHANGED, 10.0, 15.0, 1),
        "b@n0": NodeOutcome("b@n0", "n0", "b", Status.FAILED, 15.0, 16.0, 2, "boom"),
        "c@n1": NodeOutcome("c@n1", "n1", "c", Status.WOULD_CHANGE, 10.0, 10.5, 1),
        "d@n1": NodeOutcome("d@n1", "n1", "d", Status.BLOCKED),
    }
    return res


def test_counts_failed_and_slowest() -> None:
    res = _result()
    assert not res.ok
    assert res.counts() == {"changed": 1, "failed": 1, "would-change": 1, "blocked": 1}
    assert [o.node for o in res.failed()] == ["b@n0"]
    assert [o.node for o in res.slowest(2)] == ["a@n0", "b@n0"]
    assert res.outcomes["d@n1"].duration == 0.0
    assert sorted(res.succeeded_nodes()) == ["a@n0", "c@n1"]


def test_to_dict_is_json_ready_and_complete() -> None:
    doc = json.loads(json.dumps(_result().to_dict()))
    assert doc["status"] == "failed"
    assert doc["duration"] == 10.0
    assert doc["would_change"] == {"n1": ["c"]}
    assert doc["failed"][0]["message"] == "boom"
    assert len(doc["nodes"]) == 4
