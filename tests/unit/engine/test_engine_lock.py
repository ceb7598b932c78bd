"""Work-dir lock and the lock file on every host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from engine_helpers import Probe, Recorder

from kubexm.connector.base import Result
from kubexm.connector.simulated import SimulatedConnection
from kubexm.engine import (
    LockInfo,
    StaticEnv,
    WorkDirLock,
    acquire_host_lock,
    read_host_lock,
    release_host_lock,
    run,
    with_host_locks,
)
from kubexm.engine.lock import pid_alive
from kubexm.errors import StateError, StepError
from kubexm.plan import Fragment, Graph


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_work_dir_lock_keeps_a_second_run_out(tmp_path: Path) -> None:
    with WorkDirLock(tmp_path, "create cluster"):
        doc = json.loads((tmp_path / "lock").read_text())
        assert doc["pid"] == os.getpid()
        assert doc["command"] == "create cluster"
        with pytest.raises(StateError, match="another kubexm run holds") as err:
            WorkDirLock(tmp_path, "delete cluster").acquire()
        assert "remove" in err.value.hint
    assert not (tmp_path / "lock").exists()


def test_a_killed_runs_work_dir_lock_is_taken_over(tmp_path: Path) -> None:
    stale = LockInfo.current("create cluster")
    stale = LockInfo(stale.holder, stale.command, _dead_pid(), stale.time)
    (tmp_path / "lock").write_text(stale.to_json())

    with WorkDirLock(tmp_path, "create cluster"):
        doc = json.loads((tmp_path / "lock").read_text())
        assert doc["pid"] == os.getpid()
    assert not (tmp_path / "lock").exists()


def test_a_lock_of_another_machine_is_never_taken_over(tmp_path: Path) -> None:
    other = LockInfo("ops@elsewhere", "create cluster", _dead_pid(), 1.0)
    (tmp_path / "lock").write_text(other.to_json())

    with pytest.raises(StateError, match="ops@elsewhere"):
        WorkDirLock(tmp_path, "create cluster").acquire()
    assert "ops@elsewhere" in (tmp_path / "lock").read_text()


def test_unreadable_lock_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "lock").write_text("garbage")
    with pytest.raises(StateError, match="unreadable lock"):
        WorkDirLock(tmp_path, "x").acquire()


def test_pid_alive_tells_live_from_dead() -> None:
    assert pid_alive(os.getpid())
    assert not pid_alive(_dead_pid())


class FakeLockHost(SimulatedConnection):
    """A host whose lock file lives in memory, answering the lock commands."""

    def __init__(self) -> None:
        super().__init__("node1")
        self.add_rule(r"cat \"\$f\"", handler=self._cat)
        self.add_rule(r"set -C", handler=self._create)
        self.add_rule(r"rm -f", handler=self._remove)

    def _cat(self, cmd: str) -> Result:
        return Result(0, self.files.get("/var/lock/kubexm.lock", b"").decode(), "")

    def _create(self, cmd: str) -> Result:
        if "rm -f" not in cmd and "/var/lock/kubexm.lock" in self.files:
            return Result(1, "", "cannot overwrite existing file")
        payload = cmd.split("printf '%s\\n' ", 1)[1].rsplit(" >", 1)[0]
        self.files["/var/lock/kubexm.lock"] = payload.strip("'").encode()
        return Result(0, "", "")

    def _remove(self, cmd: str) -> Result:
        self.files.pop("/var/lock/kubexm.lock", None)
        return Result(0, "", "")


async def test_host_lock_acquire_and_release() -> None:
    conn = FakeLockHost()
    info = LockInfo.current("create cluster", "run-1")
    await acquire_host_lock(conn, info)
    assert await read_host_lock(conn) == info
    await acquire_host_lock(conn, info)  # same run: no-op
    await release_host_lock(conn, info)
    assert await read_host_lock(conn) is None


async def test_host_lock_held_by_another_run_names_the_holder() -> None:
    conn = FakeLockHost()
    other = LockInfo("ops@elsewhere", "upgrade cluster", 4242, 0.0, "run-x")
    conn.files["/var/lock/kubexm.lock"] = other.to_json().encode()
    with pytest.raises(StepError, match=r"ops@elsewhere \(pid 4242, 'upgrade cluster'"):
        await acquire_host_lock(conn, LockInfo.current("create cluster", "run-1"))
    await release_host_lock(conn, LockInfo.current("create cluster", "run-1"))
    assert await read_host_lock(conn) == other


async def test_host_lock_left_by_a_dead_local_run_is_taken_over() -> None:
    conn = FakeLockHost()
    mine = LockInfo.current("create cluster", "old")
    dead = LockInfo(mine.holder, mine.command, _dead_pid(), mine.time, "old")
    conn.files["/var/lock/kubexm.lock"] = dead.to_json().encode()
    info = LockInfo.current("create cluster", "new")
    await acquire_host_lock(conn, info)
    assert await read_host_lock(conn) == info


async def test_with_host_locks_wraps_each_host_and_runs() -> None:
    rec = Recorder()
    frag = Fragment("f")
    frag.chain((Probe(f"t/s{s}", rec), "node1") for s in range(2))
    info = LockInfo.current("create cluster", "run-1")
    graph = Graph.from_fragment(with_host_locks(frag, info))
    assert graph.order[0] == "lock/acquire-host-lock@node1"
    assert graph.order[-1] == "lock/release-host-lock@node1"
    conn = FakeLockHost()
    result = await run(graph, StaticEnv({"node1": conn}))
    assert result.ok, result.failed()
    assert await read_host_lock(conn) is None
