"""``kubexm images push``: copy every image a config needs into its private registry.

The images come from the work directory's artifact cache (``kubexm download`` pulls them there)
or from ``--bundle``: checked first (every member's digest, every image of the config, pinned
files, stand-ins only with ``--allow-standins``), then staged into the work dir as ``create
cluster --bundle`` does; with ``--dry-run`` it is read from a temporary view instead. Each goes
to its target on ``--registry`` or ``spec.registry.mirroring.privateRegistry`` with skopeo, at
most ``--jobs`` at a time; an image the registry already serves with the archive's digest is
left alone, so a second run pushes nothing (``kubexm.resource.registry_push``). One line per
image as it finishes, then a summary; exit 1 when any push failed. ``--dry-run`` only reads
the registry and says what would be pushed. ``main`` registers it:
``app.add_typer(images_app, name="images")``.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated

import typer

from kubexm.apis.v1alpha1.base import check_host_port
from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.cmd.output import load_config, print_json
from kubexm.cmd.preflight_cmd import ConfigOpt, WorkDirOpt
from kubexm.cmd.standins import AllowStandinsOpt, warn_standins
from kubexm.cmd.state import OutputFormat, get_state
from kubexm.errors import ArtifactError, UsageError
from kubexm.resource.bundle_stage import staged_bundle
from kubexm.resource.model import ArtifactSet, ImageArtifact
from kubexm.resource.registry_push import (
    DEFAULT_JOBS,
    PRIVATE_REGISTRY_FIELD,
    PushItem,
    PushOutcome,
    images_to_push,
    locate_archives,
    push_images,
    registry_access,
)
from kubexm.resource.resolve import resolve_artifacts
from kubexm.runtime.workdir import work_dir_for

images_app = typer.Typer(help="Move container images into a registry.", no_args_is_help=True)

BundleOpt = Annotated[
    Path | None,
    typer.Option(
        "--bundle",
        exists=True,
        dir_okay=False,
        help="Offline bundle (from kubexm download) to push from: staged into the work dir.",
    ),
]
RegistryOpt = Annotated[
    str | None,
    typer.Option(
        "--registry",
        help=f"Registry HOST[:PORT] to push to (default: {PRIVATE_REGISTRY_FIELD}).",
    ),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Read the registry and say what would be pushed.")
]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", min=1, help="Images pushed at a time.")]


def target_registry(cluster: Cluster, flag: str | None) -> str:
    """The registry to push to: ``--registry`` when given, else the config's private registry.

    Raises ``UsageError`` when the flag is not ``host[:port]`` or when neither names one.
    """
    if flag is not None:
        try:
            return check_host_port(flag)
        except ValueError as exc:
            raise UsageError(f"--registry: {exc}") from None
    configured = cluster.spec.registry.mirroring.private_registry
    if configured is None:
        raise UsageError(
            "no registry to push to",
            f"set {PRIVATE_REGISTRY_FIELD} in the config, or pass --registry HOST:PORT",
        )
    return configured


@contextlib.contextmanager
def _archives(
    cluster: Cluster,
    images: tuple[ImageArtifact, ...],
    work_dir: str | None,
    bundle: Path | None,
    *,
    allow_standins: bool,
    dry_run: bool,
) -> Iterator[tuple[tuple[PushItem, ...], tuple[str, ...]]]:
    """The archive of every image, and the stand-ins accepted.

    From the work dir's cache, or from ``bundle`` once it has passed every check: the images
    all there, the config's pinned files equal to their pins, stand-ins only when allowed. A
    dry run reads the bundle from a temporary view, removed when the block ends.
    """
    artifacts = work_dir_for(cluster, work_dir).ensure().artifacts
    if bundle is None:
        yield locate_archives(images, artifacts), ()
        return
    needed = ArtifactSet(images=images)
    pinned = resolve_artifacts(cluster).files
    with staged_bundle(
        bundle, artifacts, needed, allow_standins=allow_standins, pinned=pinned, dry_run=dry_run
    ) as staged:
        yield locate_archives(images, staged.artifacts, staged.manifest), staged.standins


@images_app.command("push")
def push_command(
    ctx: typer.Context,
    config: ConfigOpt,
    bundle: BundleOpt = None,
    allow_standins: AllowStandinsOpt = False,
    registry: RegistryOpt = None,
    work_dir: WorkDirOpt = None,
    dry_run: DryRunOpt = False,
    jobs: JobsOpt = DEFAULT_JOBS,
) -> None:
    """Push every image the config needs from OCI archives to the private registry."""
    state = get_state(ctx)
    cluster = load_config(config).cluster
    host = target_registry(cluster, registry)
    images = images_to_push(cluster, host)
    as_json = state.output is OutputFormat.json
    with _archives(
        cluster, images, work_dir, bundle, allow_standins=allow_standins, dry_run=dry_run
    ) as (items, standins):
        warn_standins(standins, f"the bundle {bundle}", state.verbose)
        started = time.monotonic()
        outcomes = push_images(
            items,
            registry_access(cluster, host),
            jobs=jobs,
            dry_run=dry_run,
            on_done=None if as_json else _print_outcome,
        )
    seconds = time.monotonic() - started
    if as_json:
        _print_json(host, outcomes, seconds, dry_run, standins if bundle is not None else None)
        return
    typer.echo(summary_line(host, outcomes, seconds, dry_run))
    failed = [outcome for outcome in outcomes if outcome.status == "failed"]
    if failed:
        raise ArtifactError(_failed_message(failed), _FAILED_HINT)


_FAILED_HINT = "fix what skopeo reports and run the command again; pushed images are skipped"


def outcome_line(outcome: PushOutcome) -> str:
    """One image: ``pushed     reg:5000/calico/node:v3 (sha256:0123456789ab, 3.1s)``."""
    target = outcome.item.image.target
    if outcome.status == "failed":
        return f"{outcome.status:<10} {target}: {outcome.error}"
    digest = outcome.item.digest.removeprefix("sha256:")[:12]
    return f"{outcome.status:<10} {target} (sha256:{digest}, {outcome.seconds:.1f}s)"


def _print_outcome(outcome: PushOutcome) -> None:
    typer.echo(outcome_line(outcome))


def counts(outcomes: Sequence[PushOutcome], dry_run: bool = False) -> dict[str, int]:
    """How many images ended in each status of the run (``would-push`` in a dry run)."""
    found: Counter[str] = Counter(outcome.status for outcome in outcomes)
    statuses = ("would-push" if dry_run else "pushed", "unchanged", "failed")
    return {status: found[status] for status in statuses}


def summary_line(
    host: str, outcomes: Sequence[PushOutcome], seconds: float, dry_run: bool = False
) -> str:
    """``12 images to reg:5000 in 4.2s: 3 pushed, 9 unchanged, 0 failed``."""
    parts = ", ".join(f"{n} {status}" for status, n in counts(outcomes, dry_run).items())
    plural = "s" if len(outcomes) != 1 else ""
    return f"{len(outcomes)} image{plural} to {host} in {seconds:.1f}s: {parts}"


def _failed_message(failed: Sequence[PushOutcome]) -> str:
    count = len(failed)
    names = "".join(f"\n  {o.item.image.target}: {o.error}" for o in failed)
    return f"{count} image{'s' if count != 1 else ''} failed to push:{names}"


def _print_json(
    host: str,
    outcomes: Sequence[PushOutcome],
    seconds: float,
    dry_run: bool,
    standins: Sequence[str] | None = None,
) -> None:
    """One JSON object (with ``standins`` when a bundle was read); exit 1 (after printing it)
    when any push failed."""
    failed = [outcome for outcome in outcomes if outcome.status == "failed"]
    data: dict[str, object] = {
        "ok": not failed,
        "registry": host,
        "dry_run": dry_run,
        "seconds": round(seconds, 2),
        "summary": counts(outcomes, dry_run),
        "images": [outcome.to_dict() for outcome in outcomes],
    }
    if standins is not None:
        data["standins"] = list(standins)
    if failed:
        data["errors"] = [_failed_message(failed)]
        data["hint"] = _FAILED_HINT
    print_json(data)
    if failed:
        raise typer.Exit(ArtifactError.exit_code)
