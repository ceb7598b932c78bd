"""The outcome of a run: per node, per host, and as a machine-readable dict for ``-o json``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kubexm.engine.events import SUCCESS, Status


class RunStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # Ctrl-C or stop(): no new node started, state saved


@dataclass(slots=True)
class NodeOutcome:
    """What happened to one node; times are wall-clock seconds (None when it never ran)."""

    node: str
    host: str
    step: str
    status: Status
    started: float | None = None
    finished: float | None = None
    attempts: int = 0
    message: str = ""

    @property
    def duration(self) -> float:
        if self.started is None or self.finished is None:
            return 0.0
        return self.finished - self.started

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "host": self.host,
            "step": self.step,
            "status": str(self.status),
            "started": self.started,
            "finished": self.finished,
            "duration": round(self.duration, 6),
            "attempts": self.attempts,
            "message": self.message,
        }


@dataclass
class RunResult:
    """Everything ``engine.run`` learned; ``ok`` is True only when nothing failed or stopped."""

    run_id: str
    graph: str
    status: RunStatus
    started: float
    finished: float
    dry_run: bool
    outcomes: dict[str, NodeOutcome] = field(default_factory=dict)
    rollbacks: list[tuple[str, str]] = field(default_factory=list)
    hint: str = ""

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.SUCCEEDED

    def counts(self) -> dict[str, int]:
        """Number of nodes per status."""
        return dict(Counter(str(o.status) for o in self.outcomes.values()))

    def failed(self) -> list[NodeOutcome]:
        return [o for o in self.outcomes.values() if o.status is Status.FAILED]

    def would_change(self) -> dict[str, list[str]]:
        """Dry run: per host, the steps whose check says they would change something."""
        out: dict[str, list[str]] = {}
        for o in self.outcomes.values():
            if o.status is Status.WOULD_CHANGE:
                out.setdefault(o.host, []).append(o.step)
        return out

    def slowest(self, n: int = 5) -> list[NodeOutcome]:
        ran = [o for o in self.outcomes.values() if o.started is not None]
        return sorted(ran, key=lambda o: o.duration, reverse=True)[:n]

    def succeeded_nodes(self) -> list[str]:
        return [nid for nid, o in self.outcomes.items() if o.status in SUCCESS]

    def to_dict(self) -> dict[str, Any]:
        """The ``-o json`` document."""
        return {
            "run_id": self.run_id,
            "graph": self.graph,
            "status": str(self.status),
            "dry_run": self.dry_run,
            "started": self.started,
            "finished": self.finished,
            "duration": round(self.finished - self.started, 6),
            "counts": self.counts(),
            "would_change": self.would_change(),
            "failed": [o.to_dict() for o in self.failed()],
            "rollbacks": [{"node": n, "result": r} for n, r in self.rollbacks],
            "hint": self.hint,
            "nodes": [o.to_dict() for o in self.outcomes.values()],
        }
