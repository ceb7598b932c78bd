"""execute(): config -> connect -> lock -> plan -> engine -> RunResult, on simulated hosts."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from preflight_sim import SimDialer, cluster_yaml
from rich.console import Console

from kubexm.cmd.execute import ExecuteOptions, execute, stderr_console
from kubexm.config import load_text
from kubexm.connector import pool as pool_module
from kubexm.engine import RunResult, RunStatus, Status, WorkDirLock
from kubexm.errors import ConnectError, KubexmError, StateError
from kubexm.module import Module
from kubexm.pipeline import Pipeline
from kubexm.pipeline.preflight import PreflightPipeline
from kubexm.plan import Fragment, Graph, PlanContext, StepContext
from kubexm.runtime import RunContext
from kubexm.step.base import Step


def _loaded(hosts: int = 3) -> object:
    return load_text(cluster_yaml(["m1"], [f"w{i}" for i in range(1, hosts)]), source="t.yaml")


@pytest.fixture
def dialer(monkeypatch: pytest.MonkeyPatch) -> SimDialer:
    fake = SimDialer()
    monkeypatch.setattr(pool_module, "open_connection", fake)
    return fake


def _quiet() -> Console:
    return Console(file=io.StringIO(), force_terminal=False)


async def test_execute_runs_the_pipeline_and_records_state_and_events(
    dialer: SimDialer, tmp_path: Path
) -> None:
    loaded = load_text(cluster_yaml(["m1"], ["w1", "w2"]), source="t.yaml")
    result = await execute(
        loaded, PreflightPipeline(), ExecuteOptions(work_dir=tmp_path), console=_quiet()
    )
    assert result.ok and result.status is RunStatus.SUCCEEDED
    root = tmp_path / "pf"
    assert (root / "state.db").is_file()
    events = (root / "logs" / f"{result.run_id}.jsonl").read_text().splitlines()
    assert json.loads(events[-1])["kind"] == "run-finished"
    assert not (root / "lock").exists()
    assert sorted({o.host for o in result.outcomes.values()}) == ["m1", "w1", "w2"]


async def test_execute_reads_a_config_path(dialer: SimDialer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(cluster_yaml(["m1"], ["w1"]))
    result = await execute(
        path, PreflightPipeline(), ExecuteOptions(work_dir=tmp_path), console=_quiet()
    )
    assert result.ok


async def test_unreachable_hosts_are_one_error_naming_each(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = SimDialer(
        errors={
            "w1": ConnectError("w1", "connection refused", "start sshd"),
            "w2": ConnectError("w2", "timed out", "check the address"),
        }
    )
    monkeypatch.setattr(pool_module, "open_connection", fake)
    with pytest.raises(KubexmError) as caught:
        await execute(_loaded(), PreflightPipeline(), ExecuteOptions(work_dir=tmp_path))
    text = str(caught.value)
    assert "2 of 3 hosts failed to connect" in text
    assert "w1: connection refused" in text and "w2: timed out" in text
    assert all(conn.closed for conn in fake.made.values())


async def test_a_held_work_dir_lock_stops_the_run_before_planning(
    dialer: SimDialer, tmp_path: Path
) -> None:
    root = tmp_path / "pf"
    root.mkdir()
    with WorkDirLock(root, "create cluster"), pytest.raises(StateError) as caught:
        await execute(_loaded(), PreflightPipeline(), ExecuteOptions(work_dir=tmp_path))
    assert "create cluster" in str(caught.value)
    probes = [c for conn in dialer.made.values() for c in conn.commands if "@@fstab" in c]
    assert probes == []


async def test_hosts_subset_connects_and_plans_only_those(
    dialer: SimDialer, tmp_path: Path
) -> None:
    opts = ExecuteOptions(work_dir=tmp_path, hosts=("w2",))
    result = await execute(_loaded(), PreflightPipeline(), opts, console=_quiet())
    assert list(dialer.made) == ["w2"]
    assert {o.host for o in result.outcomes.values()} == {"w2"}


async def test_inspect_sees_the_live_context_before_it_closes(
    dialer: SimDialer, tmp_path: Path
) -> None:
    seen: list[tuple[list[str], int, bool]] = []

    def inspect(ctx: RunContext, graph: Graph, result: RunResult) -> None:
        seen.append((ctx.hosts, len(graph), ctx.connection("m1") is dialer.made["m1"]))

    await execute(
        _loaded(), PreflightPipeline(), ExecuteOptions(work_dir=tmp_path), inspect=inspect,
        console=_quiet(),
    )  # fmt: skip
    assert seen and seen[0][0] == ["m1", "w1", "w2"] and seen[0][2] is True
    assert all(conn.closed for conn in dialer.made.values())


async def test_progress_lines_show_unless_quiet(dialer: SimDialer, tmp_path: Path) -> None:
    loud, quiet = io.StringIO(), io.StringIO()
    opts = ExecuteOptions(work_dir=tmp_path, hosts=("m1",))
    await execute(_loaded(), PreflightPipeline(), opts, console=Console(file=loud))
    quiet_opts = ExecuteOptions(work_dir=tmp_path, hosts=("m1",), quiet=True)
    await execute(_loaded(), PreflightPipeline(), quiet_opts, console=Console(file=quiet))
    assert "[m1] preflight/check-host" in loud.getvalue()
    assert quiet.getvalue() == ""


async def test_dry_run_checks_only_and_reports_would_change(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = SimDialer(facts={"m1": {"nproc": "1"}})
    monkeypatch.setattr(pool_module, "open_connection", fake)
    opts = ExecuteOptions(work_dir=tmp_path, dry_run=True)
    result = await execute(_loaded(), PreflightPipeline(), opts, console=_quiet())
    assert result.dry_run
    assert result.outcomes["preflight/cpu@m1"].status is Status.WOULD_CHANGE


# -- Ctrl-C --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PressCtrlC(Step):
    name: ClassVar[str] = "test/press-ctrl-c"
    title: ClassVar[str] = "Press Ctrl-C"

    async def check(self, ctx: StepContext) -> bool:
        return False

    async def run(self, ctx: StepContext) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        await asyncio.sleep(0.05)  # the handler runs while this step is still in flight


@dataclass(frozen=True)
class Later(Step):
    name: ClassVar[str] = "test/later"
    title: ClassVar[str] = "Later"

    async def check(self, ctx: StepContext) -> bool:
        return True

    async def run(self, ctx: StepContext) -> None:
        return None


class CtrlCPipeline(Pipeline):
    name = "ctrl-c"

    def modules(self, ctx: PlanContext) -> Sequence[Module]:
        return []

    def plan(self, ctx: PlanContext) -> Graph:
        fragment = Fragment(self.name)
        fragment.chain([(PressCtrlC(), "m1"), (Later(), "m1")])
        return Graph.from_fragment(fragment)


async def test_ctrl_c_stops_the_run_and_the_result_says_how_to_resume(
    dialer: SimDialer, tmp_path: Path
) -> None:
    result = await execute(
        _loaded(), CtrlCPipeline(), ExecuteOptions(work_dir=tmp_path), console=_quiet()
    )
    assert result.status is RunStatus.INTERRUPTED
    assert result.outcomes["test/press-ctrl-c@m1"].status is Status.CHANGED
    assert result.outcomes["test/later@m1"].status is Status.NOT_STARTED
    assert "re-run the same command to resume" in result.hint
    # The handler is removed afterwards: the default handler is back.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_stderr_console_writes_to_stderr() -> None:
    import sys

    assert stderr_console().file is sys.stderr
