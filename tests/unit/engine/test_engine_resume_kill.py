"""A run killed with SIGKILL at a random node resumes without redoing finished nodes."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = r"""
import asyncio, os, sys
from dataclasses import dataclass
from pathlib import Path
from kubexm.connector.simulated import simulated_hosts
from kubexm.engine import EngineOptions, StateStore, StaticEnv, run
from kubexm.plan import NO_RETRY, Fragment, Graph, RetryPolicy

work, log = Path(sys.argv[1]), Path(sys.argv[2])
fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

@dataclass(frozen=True)
class Mark:
    name: str
    title: str = "mark"
    bulk: bool = False
    serial_group: str | None = None
    timeout: float = 10.0
    retry: RetryPolicy = NO_RETRY
    def describe(self): return self.title
    def fingerprint(self): return self.name
    async def check(self, ctx): return False
    async def run(self, ctx):
        await asyncio.sleep(0.01)
        os.write(fd, f"{self.name}@{ctx.host}\n".encode())

frag = Fragment("kill")
for h in range(4):
    frag.chain((Mark(f"k/step-{s}"), f"h{h}") for s in range(25))
graph = Graph.from_fragment(frag)
store = StateStore.in_dir(work)
result = asyncio.run(run(graph, StaticEnv(simulated_hosts(graph.hosts())), EngineOptions(),
                         store=store))
print(result.status, result.counts())
sys.exit(0 if result.ok else 1)
"""


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


@pytest.mark.parametrize("seed", [1, 2, 3], ids=["kill-a", "kill-b", "kill-c"])
def test_sigkill_then_rerun_completes_without_redoing_finished_nodes(
    tmp_path: Path, seed: int
) -> None:
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    work, log1, log2 = tmp_path / "work", tmp_path / "run1.log", tmp_path / "run2.log"
    kill_after = random.Random(seed).randint(5, 70)
    proc = subprocess.Popen([sys.executable, str(script), str(work), str(log1)])
    deadline = time.monotonic() + 30
    while len(_lines(log1)) < kill_after and time.monotonic() < deadline:
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    db = sqlite3.connect(work / "state.db")
    finished = {row[0] for row in db.execute("SELECT node_id FROM done")}
    db.close()
    assert 0 < len(finished) < 100
    done = subprocess.run(
        [sys.executable, str(script), str(work), str(log2)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rerun = set(_lines(log2))
    assert not rerun & finished
    assert rerun | finished == {f"k/step-{s}@h{h}" for h in range(4) for s in range(25)}


def test_ctrl_c_saves_state_reports_interrupted_and_resumes(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    work, log1, log2 = tmp_path / "work", tmp_path / "run1.log", tmp_path / "run2.log"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(work), str(log1)], stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while len(_lines(log1)) < 20 and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert out.startswith("interrupted")
    db = sqlite3.connect(work / "state.db")
    assert db.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]
    finished = {row[0] for row in db.execute("SELECT node_id FROM done")}
    db.close()
    assert set(_lines(log1)) == finished
    done = subprocess.run([sys.executable, str(script), str(work), str(log2)], check=True)
    assert done.returncode == 0
    assert not set(_lines(log2)) & finished
