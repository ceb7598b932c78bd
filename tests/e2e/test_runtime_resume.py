"""Issue #4: a run against the lab hosts, killed with SIGKILL at a random node, resumes.

The test drives a child process (this file run as a script) that builds the run context
for the lab, plans a small pipeline per host (five ``ensure_file`` steps around one slow
step) and runs it with the engine and a state store in a temporary work dir. The first run
is killed once a random number of nodes finished; the re-run must skip every node the store
recorded as done, finish the rest and leave every host in the end state; a further run
changes nothing, with or without the history.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from kubexm.config import load
from kubexm.engine import EngineOptions, Event, EventKind, StateStore
from kubexm.engine.scheduler import Engine
from kubexm.lab import LabHost, RunningLab
from kubexm.plan import Fragment, Graph, StepContext
from kubexm.runner.files import ensure_file, file_exists
from kubexm.runner.host import Host
from kubexm.runtime import build
from kubexm.step import Step
from kubexm.util.shell import quote

FILES = 5
SLOW_SECONDS = 1.5
CHILD_TIMEOUT = 180

pytestmark = pytest.mark.lab


@dataclass(frozen=True)
class WriteScratchFile(Step):
    """``path`` holds ``content``; ``check`` finds it done when the content matches."""

    name: ClassVar[str] = "e2e/write-scratch-file"
    title: ClassVar[str] = "Write scratch file"
    path: str
    content: str

    async def check(self, ctx: StepContext) -> bool:
        host = Host(ctx.conn, dry_run=True)  # dry run: only ask whether it would change
        return not (await ensure_file(host, self.path, self.content)).changed

    async def run(self, ctx: StepContext) -> None:
        await ensure_file(Host(ctx.conn), self.path, self.content)


@dataclass(frozen=True)
class WaitSlowMarker(Step):
    """``marker`` exists, made after a pause so that a kill often lands while it runs."""

    name: ClassVar[str] = "e2e/wait-slow-marker"
    title: ClassVar[str] = "Wait, then write the slow marker"
    marker: str
    seconds: float = SLOW_SECONDS

    async def check(self, ctx: StepContext) -> bool:
        return await file_exists(Host(ctx.conn), self.marker)

    async def run(self, ctx: StepContext) -> None:
        cmd = f"sleep {self.seconds} && touch {quote(self.marker)}"
        await Host(ctx.conn).execute(f"write {self.marker}", cmd)


def content_of(host: str, index: int) -> str:
    return f"file {index} of {host}\n"


def plan(hosts: list[str], base: str) -> Graph:
    """Per host: file 1, file 2, the slow step, files 3 to 5, in that order. The last host's
    slow step takes three times as long: until it ends, at most ``total - 4`` nodes finished
    and the run cannot end under the kill (a run that succeeded leaves no history)."""
    frag = Fragment("resume")
    for host in hosts:
        seconds = SLOW_SECONDS * (3 if host == hosts[-1] else 1)
        steps: list[tuple[str, Step]] = [
            (f"e2e/write-file-{i}@{host}", WriteScratchFile(f"{base}/f{i}", content_of(host, i)))
            for i in range(1, FILES + 1)
        ]
        steps.insert(2, (f"e2e/wait-slow@{host}", WaitSlowMarker(f"{base}/slow", seconds)))
        previous: list[str] = []
        for nid, step in steps:
            previous = [frag.add(step, host, after=previous, id=nid)]
    return Graph.from_fragment(frag, "resume")


# -- the child process -------------------------------------------------------------------


async def child_main(config: Path, work: Path, events: Path, base: str, fresh: bool) -> int:
    fd = os.open(events, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def listener(event: Event) -> None:
        # One unbuffered write per event: the parent must see it before it kills us.
        os.write(fd, (json.dumps(event.to_dict()) + "\n").encode())

    async with await build(load(config), work_dir=work) as ctx:
        graph = plan(ctx.hosts, base)
        store = StateStore.in_dir(ctx.work_dir.root)
        engine = Engine(graph, ctx, EngineOptions(fresh=fresh), store=store, listeners=[listener])
        result = await engine.run()
        store.close()
    counts = {nid: str(out.status) for nid, out in result.outcomes.items()}
    print(json.dumps({"status": str(result.status), "outcomes": counts}))
    return 0 if result.ok else 1


def main() -> int:
    parser = argparse.ArgumentParser()
    for arg in ("config", "work", "events", "base"):
        parser.add_argument(arg)
    parser.add_argument("--fresh", action="store_true")
    a = parser.parse_args()
    return asyncio.run(child_main(Path(a.config), Path(a.work), Path(a.events), a.base, a.fresh))


# -- the test ----------------------------------------------------------------------------


def config_text(hosts: list[LabHost]) -> str:
    names = [h.name for h in hosts]
    lines = ["apiVersion: kubexm.io/v1alpha1", "kind: Cluster", "metadata: {name: rt-resume}"]
    lines += ["spec:", "  hosts:"]
    for h in hosts:
        lines.append(
            f"    - {{name: {h.name}, address: {h.address}, port: {h.port}, user: root,"
            f' privateKeyPath: "{h.root_key_path}"}}'
        )
    lines += ["  roleGroups:", f"    master: [{names[0]}]", f"    etcd: [{names[0]}]"]
    lines.append(f"    worker: [{', '.join(names[1:])}]")
    return "\n".join(lines) + "\n"


@dataclass
class Child:
    config: Path
    work: Path
    base: str

    def argv(self, events: Path, *, fresh: bool = False) -> list[str]:
        args = [sys.executable, __file__, str(self.config), str(self.work), str(events)]
        return [*args, self.base, *(["--fresh"] if fresh else [])]

    def run(self, events: Path, *, fresh: bool = False) -> dict[str, Any]:
        done = subprocess.run(
            self.argv(events, fresh=fresh),
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
        return result

    def run_and_kill(self, events: Path, after_finished: int) -> None:
        """Start a run and SIGKILL it once ``after_finished`` nodes finished."""
        proc = subprocess.Popen(self.argv(events), stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + CHILD_TIMEOUT
        try:
            while finished_nodes(events) < after_finished:
                assert proc.poll() is None, "the run ended before the kill"
                assert time.monotonic() < deadline, "the run made no progress"
                time.sleep(0.01)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        assert proc.returncode == -signal.SIGKILL, "the run ended before the kill"


def read_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    # The last line may be cut by the kill.
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def finished_nodes(path: Path) -> int:
    return sum(1 for e in read_events(path) if e["kind"] == EventKind.NODE_FINISHED)


def remote_state(lab: RunningLab, host: str, base: str) -> str:
    return lab.ssh(host, f"cat {base}/f* && ls {base}").stdout


def expected_state(host: str) -> str:
    files = "".join(content_of(host, i) for i in range(1, FILES + 1))
    return files + "".join(f"f{i}\n" for i in range(1, FILES + 1)) + "slow\n"


def test_sigkill_at_a_random_node_then_rerun_skips_finished_nodes(
    lab: RunningLab, tmp_path: Path
) -> None:
    seed = int(os.environ.get("KUBEXM_RESUME_SEED", secrets.randbelow(10_000)))
    total = len(lab.hosts) * (FILES + 1)
    kill_after = random.Random(seed).randint(2, total - 4)  # see ``plan``
    sys.stderr.write(f"\nresume: seed {seed}, kill after {kill_after} of {total} nodes\n")
    base = f"/tmp/kubexm-e2e-runtime-resume-{secrets.token_hex(4)}"
    config = tmp_path / "cluster.yaml"
    config.write_text(config_text(lab.hosts))
    child = Child(config, tmp_path / "work", base)
    try:
        child.run_and_kill(tmp_path / "killed.jsonl", kill_after)
        store = StateStore.in_dir(child.work / "rt-resume")
        done_before = set(store.history())
        store.close()
        assert done_before, "nothing was recorded before the kill"
        assert len(done_before) < total

        rerun = child.run(tmp_path / "rerun.jsonl")
        events = read_events(tmp_path / "rerun.jsonl")
        started = {e["node"] for e in events if e["kind"] == EventKind.NODE_STARTED}
        assert rerun["status"] == "succeeded"
        assert {n for n, s in rerun["outcomes"].items() if s == "resumed"} == done_before
        assert not started & done_before
        assert started == set(rerun["outcomes"]) - done_before
        for h in lab.hosts:
            assert remote_state(lab, h.name, base) == expected_state(h.name)

        # The rerun succeeded: nothing is left to resume, every step is checked again.
        again = child.run(tmp_path / "again.jsonl")
        assert set(again["outcomes"].values()) == {"unchanged"}
        fresh = child.run(tmp_path / "fresh.jsonl", fresh=True)
        assert set(fresh["outcomes"].values()) == {"unchanged"}
    finally:
        for h in lab.hosts:
            lab.ssh(h.name, f"rm -rf -- {base}", check=False)


if __name__ == "__main__":
    sys.exit(main())
