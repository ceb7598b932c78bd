"""``kubexm preflight -f cluster.yaml``: check every host at once and list every problem.

Exit 0 when no check found an error (warnings allowed), 1 otherwise. Registered by
``main`` as ``app.command("preflight")(preflight_command)``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from kubexm.cmd.execute import ExecuteOptions, execute
from kubexm.cmd.output import load_config, print_json
from kubexm.cmd.standins import AllowStandinsOpt
from kubexm.cmd.state import OutputFormat, get_state
from kubexm.engine import RunResult, RunStatus
from kubexm.errors import UsageError
from kubexm.pipeline.preflight import (
    BUNDLE_CHECK,
    PreflightPipeline,
    PreflightReport,
    Problem,
    bundle_check,
    collect_report,
)
from kubexm.plan import Graph
from kubexm.runtime import RunContext
from kubexm.step.preflight import CHECK_NAMES

ConfigOpt = Annotated[str, typer.Option("--config", "-f", help="Cluster config file.")]
WorkDirOpt = Annotated[
    str | None,
    typer.Option(
        "--work-dir", help="Base of the work directory: <DIR>/<cluster> (default ./.kubexm)."
    ),
]
BundleOpt = Annotated[
    Path | None,
    typer.Option(
        "--bundle",
        exists=True,
        dir_okay=False,
        help="Offline bundle to check for completeness against the config.",
    ),
]
SkipOpt = Annotated[
    list[str] | None,
    typer.Option("--skip", help=f"Check to skip (repeatable): {', '.join(CHECK_NAMES)}, bundle."),
]
AcceptKeysOpt = Annotated[
    bool,
    typer.Option(
        "--accept-new-host-keys",
        help="Replace a recorded host key that changed (a reinstalled host) instead of failing.",
    ),
]
HostsOpt = Annotated[
    list[str] | None, typer.Option("--host", help="Only check this host (repeatable).")
]


def skipped_checks(skip: list[str] | None) -> frozenset[str]:
    names = frozenset(skip or ())
    unknown = sorted(names.difference(CHECK_NAMES, {BUNDLE_CHECK}))
    if unknown:
        raise UsageError(
            f"unknown preflight check: {', '.join(unknown)}",
            f"use one of: {', '.join(CHECK_NAMES)}, {BUNDLE_CHECK}",
        )
    return names


def _print(
    report: PreflightReport, result: RunResult, as_json: bool, standins: Sequence[str] | None
) -> None:
    """The report, then ``standins`` (None: not listed): in JSON always with a bundle."""
    if as_json:
        extra = {} if standins is None else {"standins": list(standins)}
        print_json({**report.to_dict(), "run": result.to_dict(), **extra})
        return
    for line in report.lines():
        typer.echo(line)
    for path in standins or ():
        typer.echo(f"  stand-in: {path}")
    typer.echo(report.summary())
    if result.status is RunStatus.INTERRUPTED:
        sys.stderr.write(f"interrupted: {result.hint}\n")


def preflight_command(
    ctx: typer.Context,
    config: ConfigOpt,
    work_dir: WorkDirOpt = None,
    bundle: BundleOpt = None,
    allow_standins: AllowStandinsOpt = False,
    skip: SkipOpt = None,
    host: HostsOpt = None,
    accept_new_host_keys: AcceptKeysOpt = False,
) -> None:
    """Check every host in one parallel pass and report every problem with its fix.

    Nothing on the hosts is changed. Warnings are things kubexm fixes itself.
    """
    state = get_state(ctx)
    skipped = skipped_checks(skip)
    loaded = load_config(config)
    extra: list[Problem] = []
    standins: tuple[str, ...] | None = None
    if bundle is not None and BUNDLE_CHECK not in skipped:
        extra, standins = bundle_check(loaded.cluster, bundle, allow_standins=allow_standins)
    reports: list[PreflightReport] = []

    def inspect(run: RunContext, graph: Graph, result: RunResult) -> None:
        reports.append(collect_report(graph, result, run, extra))

    # Always fresh: a check that passed last time says nothing about the host now.
    options = ExecuteOptions(
        fresh=True,
        work_dir=work_dir,
        hosts=tuple(host) if host else None,
        command="preflight",
        quiet=True,
        accept_new_host_keys=accept_new_host_keys,
    )
    result = asyncio.run(execute(loaded, PreflightPipeline(skip=skipped), options, inspect=inspect))
    report = reports[0]
    as_json = state.output is OutputFormat.json
    # Refused stand-ins are error lines already; accepted ones are listed with -v.
    listed = standins if as_json or (state.verbose and allow_standins) else None
    _print(report, result, as_json, listed)
    if not report.ok or not result.ok:
        raise typer.Exit(1)
