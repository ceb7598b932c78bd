"""The one way a command runs a pipeline against hosts.

load config -> connect every host in parallel and gather facts -> take the work-dir lock ->
plan -> run the engine with the state store, the JSON-lines event log and a progress view ->
``RunResult``. The caller prints the summary and maps it to an exit code (0 ok, 1 failed).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from kubexm.cmd.output import load_config
from kubexm.config import LoadedConfig
from kubexm.engine import (
    Engine,
    EngineOptions,
    JsonlEventLog,
    Listener,
    RunResult,
    StateStore,
    WorkDirLock,
    new_run_id,
)
from kubexm.engine.progress import PlainProgress, make_progress
from kubexm.logger import RunLogger
from kubexm.pipeline import Pipeline
from kubexm.plan import Graph
from kubexm.runtime import RunContext, build

#: Called after the run, before the connections close: the caller reads what it needs.
Inspect = Callable[[RunContext, Graph, RunResult], None]


@dataclass(frozen=True)
class ExecuteOptions:
    """``dry_run``: check only. ``fail_fast``: stop at the first failure. ``fresh``: ignore
    what earlier runs finished. ``work_dir``: the ``--work-dir`` base (``<base>/<cluster>``).
    ``hosts``: only these hosts (None: all). ``command``: recorded in the lock and state.
    ``quiet``: no per-step lines when the console is not a terminal (the live view of a
    terminal still shows). ``accept_new_host_keys``: replace recorded host keys that changed.
    ``artifacts``: read the artifacts from this folder instead of the work dir's cache."""

    dry_run: bool = False
    fail_fast: bool = False
    fresh: bool = False
    work_dir: str | Path | None = None
    hosts: tuple[str, ...] | None = None
    command: str = ""
    quiet: bool = False
    accept_new_host_keys: bool = False
    artifacts: Path | None = None


def stderr_console() -> Console:
    """A rich console on stderr; it is a terminal only when stderr is one (else plain lines)."""
    return Console(file=sys.stderr, highlight=False)


@contextlib.contextmanager
def _stop_on_sigint(engine: Engine) -> Iterator[None]:
    """Ctrl-C stops the engine (running steps finish, state is saved) instead of killing it."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, engine.stop)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread / platform
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def _run(ctx: RunContext, graph: Graph, options: ExecuteOptions, console: Any) -> RunResult:
    root = ctx.work_dir.root
    store = StateStore.in_dir(root)
    events = JsonlEventLog.for_run(root, ctx.run_id)
    progress = make_progress(console, graph)
    listeners: list[Listener] = [events]
    if not (options.quiet and isinstance(progress, PlainProgress)):
        listeners.append(progress)
    opts = EngineOptions(
        dry_run=options.dry_run,
        fail_fast=options.fail_fast,
        fresh=options.fresh,
        command=options.command,
    )
    engine = Engine(graph, ctx, opts, store=store, listeners=listeners, run_id=ctx.run_id)
    try:
        with _stop_on_sigint(engine):
            return await engine.run()
    finally:
        progress.close()
        events.close()
        store.close()


async def execute(
    config: LoadedConfig | str | Path,
    pipeline: Pipeline,
    options: ExecuteOptions | None = None,
    *,
    console: Any = None,
    inspect: Inspect | None = None,
) -> RunResult:
    """Run ``pipeline`` on the hosts of ``config`` and return the engine's result.

    Node failures are in the result (with a hint how to resume when it did not succeed; an
    interrupted run says so too). Raises ``ConfigError`` for an invalid config,
    ``KubexmError`` listing every unreachable host (nothing is planned then), ``StateError``
    when another run holds the work dir or the state store cannot be written, and
    ``PlanError`` for a broken plan. ``inspect`` sees the live context after the run.
    """
    opts = options or ExecuteOptions()
    loaded = config if isinstance(config, LoadedConfig) else load_config(config)
    run_id = new_run_id()
    # No file sink: the engine's event log is logs/<run-id>.jsonl; library log records are
    # routed here so they do not spill onto the terminal over the progress view.
    logger = RunLogger(None, run_id=run_id, with_console=False)
    logger.install()
    try:
        ctx = await build(
            loaded,
            work_dir=opts.work_dir,
            dry_run=opts.dry_run,
            hosts=opts.hosts,
            logger=logger,
            accept_new_host_keys=opts.accept_new_host_keys,
            artifacts=opts.artifacts,
        )
        async with ctx:
            with WorkDirLock(ctx.work_dir.root, opts.command or pipeline.name):
                graph = pipeline.plan(ctx)
                result = await _run(ctx, graph, opts, console or stderr_console())
                if inspect is not None:
                    inspect(ctx, graph, result)
                return result
    finally:
        logger.close()
