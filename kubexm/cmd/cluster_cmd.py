"""``kubexm create cluster``, ``kubexm plan`` and ``kubexm kubeconfig``.

``create cluster`` runs the create-cluster pipeline (idempotent and resumable: a second run
changes nothing; a run stopped anywhere converges when run again). ``plan`` connects to the
hosts, plans the same graph and runs every step's read-only check: it prints the steps per
host with ``would-change`` or ``unchanged`` and exits 3 when anything is pending, 0 when the
cluster is already as the config says. ``kubeconfig`` prints the admin kubeconfig from the
work directory. ``main`` registers them.

Before a run (``plan`` and ``--dry-run`` included) the release files it takes from the work
dir's artifact cache are checked against their pins; ``--bundle`` is checked completely before
anything of it reaches the cache, and a dry run or ``plan`` reads it from a temporary view,
writing nothing to the cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.cmd.execute import ExecuteOptions, execute
from kubexm.cmd.output import load_config, print_json
from kubexm.cmd.preflight_cmd import (
    AcceptKeysOpt,
    ConfigOpt,
    SkipOpt,
    WorkDirOpt,
    skipped_checks,
)
from kubexm.cmd.standins import AllowStandinsOpt, warn_standins
from kubexm.cmd.state import OutputFormat, get_state
from kubexm.cmd.summary import summary_dict, summary_lines
from kubexm.common import types as t
from kubexm.config import LoadedConfig
from kubexm.engine import RunResult, RunStatus, Status
from kubexm.errors import KubexmError
from kubexm.pipeline.create_cluster import CreateClusterPipeline
from kubexm.pki.model import endpoint_url
from kubexm.plan import Graph, to_dict, to_text
from kubexm.resource.bundle_stage import staged_bundle
from kubexm.resource.cache_verify import check_cached_files
from kubexm.resource.resolve import resolve_artifacts
from kubexm.runtime import RunContext
from kubexm.runtime.workdir import work_dir_for
from kubexm.util.yamlio import dump_yaml, load_yaml_plain

EXIT_PENDING = 3

create_app = typer.Typer(help="Create a cluster.", no_args_is_help=True)

BundleOpt = Annotated[
    Path | None,
    typer.Option(
        "--bundle",
        exists=True,
        dir_okay=False,
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


@dataclass(frozen=True)
class _Prepared:
    """What a run reads: the admin kubeconfig path, the artifacts folder when it is not the
    work dir's cache (a dry run's view of a bundle) and the stand-ins accepted."""

    kubeconfig: Path
    artifacts: Path | None
    standins: tuple[str, ...]
    where: str


@contextlib.contextmanager
def _prepare(
    loaded: LoadedConfig,
    work_dir: str | None,
    bundle: Path | None,
    allow_standins: bool,
    dry_run: bool,
) -> Iterator[_Prepared]:
    """Check the artifacts of the run before any host is touched.

    With ``bundle``, it is staged once it has passed every check (a dry run: a temporary view
    removed when the block ends) and offline mode is turned on. Without, every cached release
    file the config needs is checked against its pin (a dry run records nothing). Raises
    ``ArtifactError`` naming what failed, the cache left as it was.
    """
    work = work_dir_for(loaded.cluster, work_dir)
    kubeconfig = work.kubeconfig / "admin.conf"
    required = resolve_artifacts(loaded.cluster)
    if bundle is None:
        standins = check_cached_files(
            work.artifacts, required.files, allow_standins=allow_standins, save=not dry_run
        )
        yield _Prepared(kubeconfig, None, standins, f"the artifact cache {work.artifacts}")
        return
    work.ensure()  # private (0700) before the bundle is extracted into it
    with staged_bundle(
        bundle, work.artifacts, required, allow_standins=allow_standins, dry_run=dry_run
    ) as staged:
        # The bundle is the only source of this run: offline mode makes every module install
        # from it (OS and load-balancer packages, charts) and refuse the network otherwise.
        loaded.cluster.spec.global_.offline_mode = True
        view = staged.artifacts if staged.artifacts != work.artifacts else None
        yield _Prepared(kubeconfig, view, staged.standins, f"the bundle {bundle}")


def _pipeline(skip_preflight: bool, skip: list[str] | None) -> CreateClusterPipeline:
    return CreateClusterPipeline(skip_preflight=skip_preflight, skip=skipped_checks(skip))


@create_app.command("cluster")
def create_cluster_command(
    ctx: typer.Context,
    config: ConfigOpt,
    work_dir: WorkDirOpt = None,
    bundle: BundleOpt = None,
    allow_standins: AllowStandinsOpt = False,
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
    loaded = load_config(config)
    with _prepare(loaded, work_dir, bundle, allow_standins, dry_run) as prepared:
        warn_standins(prepared.standins, prepared.where, state.verbose)
        options = ExecuteOptions(
            dry_run=dry_run,
            fail_fast=fail_fast,
            fresh=fresh,
            work_dir=work_dir,
            command="create cluster",
            accept_new_host_keys=accept_new_host_keys,
            artifacts=prepared.artifacts,
        )
        result = asyncio.run(execute(loaded, pipeline, options))
    kubeconfig = prepared.kubeconfig
    if state.output is OutputFormat.json:
        doc = summary_dict(loaded.cluster, result, kubeconfig)
        print_json(_with_standins(doc, prepared, bundle))
    else:
        for line in summary_lines(loaded.cluster, result, kubeconfig):
            typer.echo(line)
        _print_failures(result)
    if not result.ok:
        raise typer.Exit(1)


def _with_standins(doc: dict[str, Any], prepared: _Prepared, bundle: Path | None) -> dict[str, Any]:
    """``doc`` with the accepted stand-ins under ``standins`` (always with a bundle)."""
    if bundle is None and not prepared.standins:
        return doc
    return {**doc, "standins": list(prepared.standins)}


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
    allow_standins: AllowStandinsOpt = False,
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
    loaded = load_config(config)
    shown: list[tuple[Graph, RunResult]] = []

    def inspect(run: RunContext, graph: Graph, result: RunResult) -> None:
        shown.append((graph, result))

    with _prepare(loaded, work_dir, bundle, allow_standins, dry_run=True) as prepared:
        warn_standins(prepared.standins, prepared.where, state.verbose)
        options = ExecuteOptions(
            dry_run=True,
            fresh=True,
            work_dir=work_dir,
            command="plan",
            quiet=True,
            accept_new_host_keys=accept_new_host_keys,
            artifacts=prepared.artifacts,
        )
        result = asyncio.run(execute(loaded, pipeline, options, inspect=inspect))
    graph = shown[0][0]
    if state.output is OutputFormat.json:
        doc = {"plan": _plan_doc(graph, result), "run": result.to_dict()}
        print_json(_with_standins(doc, prepared, bundle))
    else:
        typer.echo(to_text(graph, _marks(result)), nl=False)
        _print_failures(result)
    pending = any(o.status is Status.WOULD_CHANGE for o in result.outcomes.values())
    if result.failed() or result.status is RunStatus.INTERRUPTED:
        raise typer.Exit(1)
    if pending:
        raise typer.Exit(EXIT_PENDING)


def _plan_doc(graph: Graph, result: RunResult) -> dict[str, Any]:
    """The graph as plain data, each node with the status its check found."""
    doc = to_dict(graph)
    for node in doc["nodes"]:
        outcome = result.outcomes.get(node["id"])
        node["status"] = str(outcome.status) if outcome else None
    return doc


def kubeconfig_command(ctx: typer.Context, config: ConfigOpt, work_dir: WorkDirOpt = None) -> None:
    """Print the cluster's admin kubeconfig (made by create cluster or certs generate), its
    server set to an address this machine reaches: the VIP or load-balancer address, else the
    first master (the endpoint domain resolves only on the nodes).

    As YAML, or as JSON with the global option: kubexm -o json kubeconfig -f FILE.
    """
    loaded = load_config(config)
    path = work_dir_for(loaded.cluster, work_dir).kubeconfig / "admin.conf"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KubexmError(
            f"no admin kubeconfig at {path}: {exc.strerror or exc}",
            f"run 'kubexm create cluster -f {config}' (or 'kubexm certs generate') first",
        ) from exc
    doc = load_yaml_plain(text, source=str(path))
    server = outside_server(loaded.cluster)
    clusters = doc.get("clusters") if isinstance(doc, dict) else None
    for entry in clusters or []:
        if isinstance(entry, dict) and isinstance(entry.get("cluster"), dict):
            entry["cluster"]["server"] = server
    if get_state(ctx).output is OutputFormat.json:
        print_json(doc)
        return
    typer.echo(dump_yaml(doc) if clusters else text, nl=False)


def outside_server(cluster: Cluster) -> str:
    """The API server URL for a machine outside the cluster: the VIP or load-balancer address
    when the load balancer has one, else the first master's address."""
    endpoint = cluster.spec.control_plane_endpoint
    if cluster.lb_kind in t.LB_KINDS_WITH_VIP and endpoint.address:
        return endpoint_url(endpoint.address, endpoint.port)
    return endpoint_url(cluster.masters[0].address, endpoint.port)
