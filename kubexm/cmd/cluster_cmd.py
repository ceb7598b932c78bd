"""``kubexm create cluster``, ``kubexm plan`` and ``kubexm kubeconfig``.

``create cluster`` runs the create-cluster pipeline (idempotent and resumable: a second run
changes nothing; a run stopped anywhere converges when run again). ``plan`` connects to the
hosts, plans the same graph and runs every step's read-only check: it prints the steps per
host with ``would-change`` or ``unchanged`` and exits 3 when anything is pending, 0 when the
cluster is already as the config says. ``kubeconfig`` prints the admin kubeconfig from the
work directory. ``main`` registers them.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from kubexm.cmd.execute import ExecuteOptions, execute
from kubexm.cmd.output import print_json
from kubexm.cmd.preflight_cmd import (
    AcceptKeysOpt,
    ConfigOpt,
    SkipOpt,
    WorkDirOpt,
    skipped_checks,
)
from kubexm.cmd.state import OutputFormat, get_state
from kubexm.cmd.summary import summary_dict, summary_lines
from kubexm.config import LoadedConfig, load
from kubexm.engine import RunResult, RunStatus, Status
from kubexm.errors import KubexmError
from kubexm.pipeline.create_cluster import CreateClusterPipeline
from kubexm.plan import Graph, to_dict, to_text
from kubexm.resource.bundle_offline import require_complete, stage_bundle
from kubexm.resource.resolve import resolve_artifacts
from kubexm.runtime import RunContext
from kubexm.runtime.workdir import work_dir_for

EXIT_PENDING = 3

create_app = typer.Typer(help="Create a cluster.", no_args_is_help=True)

BundleOpt = Annotated[
    Path | None,
    typer.Option(
        "--bundle",
        help="Offline bundle (from kubexm download) to deploy from: staged into the work dir.",
    ),
]
SkipPreflightOpt = Annotated[
    bool, typer.Option("--skip-preflight", help="Do not run the preflight checks first.")
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Check every step, change nothing (like plan).")
]
FailFastOpt = Annotated[bool, typer.Option("--fail-fast", help="Stop at the first failed step.")]
FreshOpt = Annotated[
    bool, typer.Option("--fresh", help="Check every step again, even those an earlier run did.")
]


def _stage(loaded: LoadedConfig, work_dir: str | None, bundle: Path | None) -> Path:
    """The admin kubeconfig path of the cluster; with ``bundle``, its files staged first, the
    bundle checked to hold everything the config needs, and offline mode turned on."""
    work = work_dir_for(loaded.cluster, work_dir)
    if bundle is not None:
        manifest = stage_bundle(bundle, work.artifacts)
        require_complete(manifest, resolve_artifacts(loaded.cluster), bundle)
        # The bundle is the only source of this run: offline mode makes every module install
        # from it (OS and load-balancer packages, charts) and refuse the network otherwise.
        loaded.cluster.spec.global_.offline_mode = True
    return work.kubeconfig / "admin.conf"


def _pipeline(skip_preflight: bool, skip: list[str] | None) -> CreateClusterPipeline:
    return CreateClusterPipeline(skip_preflight=skip_preflight, skip=skipped_checks(skip))


@create_app.command("cluster")
def create_cluster_command(
    ctx: typer.Context,
    config: ConfigOpt,
    work_dir: WorkDirOpt = None,
    bundle: BundleOpt = None,
    skip_preflight: SkipPreflightOpt = False,
    skip: SkipOpt = None,
    dry_run: DryRunOpt = False,
    fail_fast: FailFastOpt = False,
    fresh: FreshOpt = False,
    accept_new_host_keys: AcceptKeysOpt = False,
) -> None:
    """Install every host and bring the cluster up; run it again to resume or converge."""
    state = get_state(ctx)
    pipeline = _pipeline(skip_preflight, skip)
    loaded = load(config)
    kubeconfig = _stage(loaded, work_dir, bundle)
    options = ExecuteOptions(
        dry_run=dry_run,
        fail_fast=fail_fast,
        fresh=fresh,
        work_dir=work_dir,
        command="create cluster",
        accept_new_host_keys=accept_new_host_keys,
    )
    result = asyncio.run(execute(loaded, pipeline, options))
    if state.output is OutputFormat.json:
        print_json(summary_dict(loaded.cluster, result, kubeconfig))
    else:
        for line in summary_lines(loaded.cluster, result, kubeconfig):
            typer.echo(line)
        _print_failures(result)
    if not result.ok:
        raise typer.Exit(1)


def _print_failures(result: RunResult) -> None:
    for outcome in result.failed():
        sys.stderr.write(f"failed: [{outcome.host}] {outcome.step}: {outcome.message}\n")
    if result.hint:
        sys.stderr.write(f"{result.hint}\n")


def _marks(result: RunResult) -> dict[str, str]:
    return {nid: str(o.status) for nid, o in result.outcomes.items()}


def plan_command(
    ctx: typer.Context,
    config: ConfigOpt,
    work_dir: WorkDirOpt = None,
    bundle: BundleOpt = None,
    skip_preflight: SkipPreflightOpt = False,
    skip: SkipOpt = None,
    accept_new_host_keys: AcceptKeysOpt = False,
) -> None:
    """Show what create cluster would change, host by host; change nothing.

    Exit 0 when nothing is pending, 3 when some step would change something, 1 when a
    check failed (the host could not be inspected).
    """
    state = get_state(ctx)
    pipeline = _pipeline(skip_preflight, skip)
    loaded = load(config)
    _stage(loaded, work_dir, bundle)
    shown: list[tuple[Graph, RunResult]] = []

    def inspect(run: RunContext, graph: Graph, result: RunResult) -> None:
        shown.append((graph, result))

    options = ExecuteOptions(
        dry_run=True,
        fresh=True,
        work_dir=work_dir,
        command="plan",
        quiet=True,
        accept_new_host_keys=accept_new_host_keys,
    )
    result = asyncio.run(execute(loaded, pipeline, options, inspect=inspect))
    graph = shown[0][0]
    if state.output is OutputFormat.json:
        doc = to_dict(graph)
        for node in doc["nodes"]:
            outcome = result.outcomes.get(node["id"])
            node["status"] = str(outcome.status) if outcome else None
        print_json({"plan": doc, "run": result.to_dict()})
    else:
        typer.echo(to_text(graph, _marks(result)), nl=False)
        _print_failures(result)
    pending = any(o.status is Status.WOULD_CHANGE for o in result.outcomes.values())
    if result.failed() or result.status is RunStatus.INTERRUPTED:
        raise typer.Exit(1)
    if pending:
        raise typer.Exit(EXIT_PENDING)


def kubeconfig_command(config: ConfigOpt, work_dir: WorkDirOpt = None) -> None:
    """Print the cluster's admin kubeconfig (made by create cluster or certs generate)."""
    loaded = load(config)
    path = work_dir_for(loaded.cluster, work_dir).kubeconfig / "admin.conf"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KubexmError(
            f"no admin kubeconfig at {path}: {exc.strerror or exc}",
            f"run 'kubexm create cluster -f {config}' (or 'kubexm certs generate') first",
        ) from exc
    typer.echo(text, nl=False)
