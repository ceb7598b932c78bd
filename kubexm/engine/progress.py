"""Progress views fed by engine events: a rich live table on a TTY, plain lines otherwise.

``rich.console`` is not imported here: the caller (``cmd``) passes its Console in, and this
module only uses the live, table and progress renderables.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kubexm.engine.events import Event, EventKind
from kubexm.plan import PLAN_HOST, Graph

MAX_ROWS = 30


@dataclass
class HostRow:
    """One host's line: what it runs now, how far it is, and whether it failed."""

    total: int
    done: int = 0
    current: str = ""
    state: str = "waiting"
    started: float | None = None
    finished: float | None = None

    def elapsed(self, now: float) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or now) - self.started


class ProgressModel:
    """Folds events into per-host rows, an overall count and step durations."""

    def __init__(self, graph: Graph) -> None:
        self.rows: dict[str, HostRow] = {}
        for node in graph.nodes.values():
            if node.host != PLAN_HOST:
                self.rows.setdefault(node.host, HostRow(0)).total += 1
        self.total = sum(r.total for r in self.rows.values())
        self.done = 0
        self.durations: list[tuple[float, str]] = []
        self.finished = False

    def update(self, event: Event) -> None:
        row = self.rows.get(event.host)
        if event.kind is EventKind.RUN_FINISHED:
            self.finished = True
        if row is None:
            return
        if event.kind is EventKind.NODE_STARTED:
            row.started = row.started or event.at
            row.current, row.state = event.step, "running"
            return
        if event.kind in (EventKind.NODE_FINISHED, EventKind.NODE_SKIPPED, EventKind.NODE_FAILED):
            self._finish(row, event)

    def _finish(self, row: HostRow, event: Event) -> None:
        row.done += 1
        self.done += 1
        if event.duration is not None:
            self.durations.append((event.duration, event.node))
        if event.kind is EventKind.NODE_FAILED:
            row.state = "failed"
        elif event.status == "blocked" and row.state != "failed":
            row.state = "blocked"
        if row.done == row.total:
            row.finished = event.at
            row.current = ""
            row.state = row.state if row.state in ("failed", "blocked") else "done"

    def slowest(self, n: int = 5) -> list[tuple[float, str]]:
        return sorted(self.durations, reverse=True)[:n]


class PlainProgress:
    """One line per finished, failed or retried node, for logs and non-TTY output."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write

    def __call__(self, event: Event) -> None:
        line = _plain_line(event)
        if line:
            self.write(line)

    def close(self) -> None:
        return None


def _plain_line(event: Event) -> str:
    dur = f" ({event.duration:.1f}s)" if event.duration is not None else ""
    if event.kind in (EventKind.NODE_FINISHED, EventKind.NODE_SKIPPED):
        return f"[{event.host}] {event.step}: {event.status}{dur}"
    if event.kind is EventKind.NODE_FAILED:
        return f"[{event.host}] {event.step}: failed{dur}: {event.message}"
    if event.kind in (EventKind.NODE_RETRY, EventKind.ROLLBACK):
        return f"[{event.host}] {event.step}: {event.message}"
    if event.kind is EventKind.RUN_FINISHED:
        return f"==> run {event.status}" + (f": {event.message}" if event.message else "")
    return ""


class LiveProgress:
    """A rich live view: one row per host plus an overall bar; the slowest steps at the end.

    ``console`` is a ``rich.console.Console`` owned by the caller.
    """

    def __init__(self, console: Any, graph: Graph) -> None:
        self.console = console
        self.model = ProgressModel(graph)
        self.bar = Progress(
            TextColumn("overall"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        )
        self.task = self.bar.add_task("overall", total=self.model.total)
        self.live = Live(get_renderable=self.render, console=console, refresh_per_second=4)
        self.live.start()

    def __call__(self, event: Event) -> None:
        self.model.update(event)
        self.bar.update(self.task, completed=self.model.done)

    def render(self) -> Table:
        now = time.time()
        table = Table(show_edge=False, expand=False)
        for col in ("host", "step", "done", "elapsed", "state"):
            table.add_column(col)
        rows = sorted(self.model.rows.items(), key=lambda kv: _row_rank(kv[1]))
        for host, row in rows[:MAX_ROWS]:
            done = f"{row.done}/{row.total}"
            table.add_row(host, row.current, done, f"{row.elapsed(now):.0f}s", row.state)
        if len(rows) > MAX_ROWS:
            table.add_row(f"... {len(rows) - MAX_ROWS} more hosts", "", "", "", "")
        outer = Table.grid()
        outer.add_row(table)
        outer.add_row(self.bar)
        return outer

    def close(self) -> None:
        """Stop the live view and print the slowest steps."""
        self.live.stop()
        slow = self.model.slowest()
        if slow:
            table = Table(title="slowest steps", show_edge=False)
            table.add_column("step")
            table.add_column("seconds", justify="right")
            for dur, node in slow:
                table.add_row(node, f"{dur:.1f}")
            self.console.print(table)


def _row_rank(row: HostRow) -> tuple[int, int]:
    order = {"failed": 0, "blocked": 0, "running": 1, "waiting": 2, "done": 3}
    return order.get(row.state, 4), row.done - row.total


def make_progress(console: Any, graph: Graph) -> LiveProgress | PlainProgress:
    """The live view when ``console`` is a terminal, else plain lines through its ``print``."""
    if getattr(console, "is_terminal", False):
        return LiveProgress(console, graph)
    return PlainProgress(lambda line: console.print(line, markup=False, highlight=False))
