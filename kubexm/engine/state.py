"""The per-cluster state store: ``<work dir>/state.db`` (sqlite, WAL).

It keeps every run, every node result with timings, and for resume the fingerprint of each
node's inputs at its last success. A node that starts executing loses its success record
first, so a run killed half-way through a node never lets that node be skipped later; a run
that succeeds forgets the successes of its nodes (there is nothing left to resume).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kubexm.errors import StateError

STATE_FILE = "state.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, graph TEXT NOT NULL, command TEXT NOT NULL,
    started REAL NOT NULL, finished REAL, status TEXT NOT NULL, dry_run INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    run_id TEXT NOT NULL, node_id TEXT NOT NULL, host TEXT NOT NULL, step TEXT NOT NULL,
    fingerprint TEXT NOT NULL, status TEXT NOT NULL, started REAL, finished REAL,
    attempts INTEGER NOT NULL, message TEXT NOT NULL,
    PRIMARY KEY (run_id, node_id)
);
CREATE TABLE IF NOT EXISTS done (
    node_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, run_id TEXT NOT NULL,
    finished REAL NOT NULL
);
"""


@contextmanager
def _translated(path: Path, action: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise StateError(
            f"state store {path}: cannot {action}: {exc}",
            "check the work dir is writable and not on a network filesystem; "
            "remove state.db to start without history",
        ) from exc


class StateStore:
    """One open ``state.db``. Every write is committed at once (durable across SIGKILL).

    All methods raise ``StateError`` when sqlite fails (locked, corrupt, read-only).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        with _translated(path, "open"):
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL survives a killed process (not a power cut) without an fsync per row.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)

    @classmethod
    def in_dir(cls, work_dir: Path) -> StateStore:
        """Open (creating) ``work_dir/state.db``."""
        return cls(work_dir / STATE_FILE)

    def begin_run(
        self, run_id: str, graph: str, command: str, started: float, *, dry_run: bool
    ) -> None:
        with _translated(self.path, "record the run"):
            self._db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, NULL, 'running', ?)",
                (run_id, graph, command, started, int(dry_run)),
            )

    def finish_run(self, run_id: str, status: str, finished: float) -> None:
        with _translated(self.path, "record the run end"):
            self._db.execute(
                "UPDATE runs SET status = ?, finished = ? WHERE id = ?", (status, finished, run_id)
            )

    def history(self) -> dict[str, str]:
        """Node id → fingerprint of its last success (nodes not since invalidated)."""
        with _translated(self.path, "read history"):
            return dict(self._db.execute("SELECT node_id, fingerprint FROM done"))

    def invalidate(self, node_id: str) -> None:
        """Forget the last success of ``node_id``; called before it executes again."""
        self.write("", [], [node_id])

    def record(self, run_id: str, row: dict[str, Any], *, success: bool) -> None:
        """Store one node result (keys as in ``results``); a success also updates ``done``."""
        self.write(run_id, [(row, success)], [])

    def write(
        self,
        run_id: str,
        rows: Sequence[tuple[dict[str, Any], bool]],
        invalidate: Sequence[str],
    ) -> None:
        """In one transaction: forget the successes of ``invalidate``, then store ``rows``.

        Each row is (result, success); a success replaces the node's ``done`` entry and a
        failure deletes it.
        """
        with _translated(self.path, "record node results"), self._transaction():
            self._db.executemany("DELETE FROM done WHERE node_id = ?", [(n,) for n in invalidate])
            self._db.executemany(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_result_row(run_id, row) for row, _ in rows],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO done VALUES (?, ?, ?, ?)",
                [(r["node"], r["fingerprint"], run_id, r["finished"]) for r, ok in rows if ok],
            )
            self._db.executemany(
                "DELETE FROM done WHERE node_id = ?", [(r["node"],) for r, ok in rows if not ok]
            )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest runs first."""
        with _translated(self.path, "list runs"):
            cur = self._db.execute("SELECT * FROM runs ORDER BY started DESC LIMIT ?", (limit,))
            return _rows(cur)

    def results(self, run_id: str) -> list[dict[str, Any]]:
        """Every node result of one run, in the order they finished."""
        with _translated(self.path, "read results"):
            cur = self._db.execute(
                "SELECT * FROM results WHERE run_id = ? ORDER BY finished", (run_id,)
            )
            return _rows(cur)

    def close(self) -> None:
        self._db.close()


def _result_row(run_id: str, row: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("node", "host", "step", "fingerprint", "status", "started", "finished", "attempts")
    return (run_id, *(row[k] for k in keys), row["message"])


def _rows(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
