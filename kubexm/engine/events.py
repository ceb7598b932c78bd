"""What the engine reports while it runs: node events, outcomes and the JSON-lines log."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Any


class Status(StrEnum):
    """Final state of one node."""

    CHANGED = "changed"  # run() brought the host to the end state
    UNCHANGED = "unchanged"  # check() found it already there
    RESUMED = "resumed"  # succeeded in an earlier run with the same inputs; not touched
    WOULD_CHANGE = "would-change"  # dry run: check() says run() is needed
    FAILED = "failed"
    BLOCKED = "blocked"  # a dependency failed
    NOT_STARTED = "not-started"  # the run stopped (fail-fast or Ctrl-C) before it started


SUCCESS = frozenset({Status.CHANGED, Status.UNCHANGED, Status.RESUMED, Status.WOULD_CHANGE})


class EventKind(StrEnum):
    RUN_STARTED = "run-started"
    NODE_STARTED = "node-started"
    NODE_RETRY = "node-retry"
    NODE_FINISHED = "node-finished"
    NODE_SKIPPED = "node-skipped"  # resumed from history or blocked by a failed dependency
    NODE_FAILED = "node-failed"
    ROLLBACK = "rollback"
    RUN_FINISHED = "run-finished"


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened; ``at`` is wall-clock seconds, ``duration`` seconds or None."""

    kind: EventKind
    at: float
    node: str = ""
    host: str = ""
    step: str = ""
    status: str = ""
    duration: float | None = None
    message: str = ""
    total: int = 0

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        return {k: v for k, v in doc.items() if v not in ("", None, 0) or k == "kind"}


Listener = Callable[[Event], None]


class JsonlEventLog:
    """Appends every event as one JSON object per line to ``path`` (parents created).

    A write error raises ``OSError`` from the listener call; the engine reports it as a
    failure of the listener, not of the node.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh: IO[str] = path.open("a", encoding="utf-8")

    @classmethod
    def for_run(cls, work_dir: Path, run_id: str) -> JsonlEventLog:
        """The log of one run at ``<work dir>/logs/<run id>.jsonl``."""
        return cls(work_dir / "logs" / f"{run_id}.jsonl")

    def __call__(self, event: Event) -> None:
        self._fh.write(json.dumps(event.to_dict(), separators=(",", ":")) + "\n")
        if event.kind in (EventKind.RUN_FINISHED, EventKind.NODE_FAILED):
            self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()
