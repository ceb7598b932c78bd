"""``kubexm download`` (build an offline bundle) and ``kubexm bundle verify``.

``download`` resolves the config to its artifact list, downloads the release files into the
work directory's artifact cache, pulls missing images as OCI archives with skopeo, fetches the
helm charts from their repositories (digest from the repository index) into
``<artifacts>/charts``, gathers OS packages with apt into ``<artifacts>/os/<os>-<version>/<arch>/``
for the sets this machine's release serves (other sets are taken as placed there, and the
command to run on a matching machine is printed for what is missing), and packs everything into
one bundle. ``--skip`` leaves a kind out on purpose and the manifest records it, so ``bundle
verify`` does not report it missing. ``bundle verify`` checks a bundle against a config before
it is carried into an air gap: exit 0 when complete, 1 with every problem listed. ``--os
debian-12`` (or a bare family such as ``--os rhel``) fixes the hosts' OS when the config does
not; without it and without ``spec.system.packageManager`` any one complete family will do.
A file labelled stand-in is a problem unless ``--allow-standins`` is given (test bundles only).

The lead registers them in ``main``: ``app.add_typer(bundle_app, name="bundle")`` and
``app.command("download")(download_command)``.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.cmd.output import load_config, print_json
from kubexm.cmd.standins import AllowStandinsOpt, warn_standins
from kubexm.cmd.state import OutputFormat, get_state
from kubexm.errors import ArtifactError, UsageError
from kubexm.resource.bundle import build_bundle
from kubexm.resource.bundle_manifest import STANDIN_HINT, BundleManifest
from kubexm.resource.bundle_verify import VerifyReport, verify_bundle, without_kinds
from kubexm.resource.charts import ChartOutcome, download_charts
from kubexm.resource.download import DownloadOptions, FileOutcome
from kubexm.resource.download import download_files as fetch_files
from kubexm.resource.model import ArtifactSet
from kubexm.resource.oci import image_archive_name, pull_argv, run_skopeo
from kubexm.resource.os_gather import GatherResult, describe, gather_os_packages
from kubexm.resource.packages import family_of
from kubexm.resource.resolve import resolve_artifacts
from kubexm.resource.urls import effective_zone, normalise_arch
from kubexm.runtime.workdir import work_dir_for

bundle_app = typer.Typer(help="Check offline bundles.", no_args_is_help=True)

ConfigOption = Annotated[str, typer.Option("--config", "-f", help="Cluster config file.")]
ArchOption = Annotated[
    list[str] | None,
    typer.Option("--arch", help="Build for this arch instead of the hosts' (repeatable)."),
]
OSOption = Annotated[
    str | None,
    typer.Option(
        "--os",
        help="The hosts' OS as <id>-<version> (debian-12) or a family (rhel); default: any.",
    ),
]


class SkipKind(StrEnum):
    """Artifact kinds ``download --skip`` can leave out of a bundle."""

    images = "images"
    charts = "charts"
    os_packages = "os-packages"


SkipOption = Annotated[
    list[SkipKind] | None, typer.Option("--skip", help="Leave a kind out (repeatable).")
]


def parse_os(value: str) -> tuple[str, str]:
    """``debian-12`` -> ``("debian", "12")``; ``rhel`` -> ``("rhel", "")`` (any version).

    Raises ``UsageError`` when kubexm knows no package names for the OS id.
    """
    os_id, _, version = value.rpartition("-")
    if not os_id or not version[:1].isdigit():
        os_id, version = value, ""
    try:
        family_of(os_id)
    except ArtifactError as exc:
        raise UsageError(
            f"--os {value}: no package names known for {os_id!r}",
            "use an /etc/os-release ID with its version (debian-12, rocky-9) or debian/rhel",
        ) from exc
    return os_id, version


def resolve(cluster: Cluster, arches: list[str] | None, os_release: str | None) -> ArtifactSet:
    """The artifacts ``cluster`` needs (``kubexm.resource.resolve``); ``os_release`` as
    ``--os`` gives it applies to every host."""
    for arch in arches or ():  # a wrong --arch is bad usage, not a failed download
        try:
            normalise_arch(arch)
        except ArtifactError as error:
            raise UsageError(error.message, error.hint) from None
    targets = None
    if os_release:
        chosen = parse_os(os_release)
        targets = {host.name: chosen for host in cluster.spec.hosts}
    return resolve_artifacts(cluster, arches=arches or None, os_targets=targets)


def download_files(
    artifacts: ArtifactSet, cache_dir: Path, zone: str = "", progress: bool = True
) -> None:
    """Fetch and verify every release file into ``cache_dir`` (raises ``ArtifactError``);
    with ``progress`` one line per finished file goes to stderr."""
    options = DownloadOptions(zone=zone, on_done=_progress_line if progress else None)
    asyncio.run(fetch_files(artifacts.files, cache_dir, options=options))


def _progress_line(outcome: FileOutcome) -> None:
    size = outcome.bytes / 1e6
    detail = "" if outcome.status == "cached" else f" ({size:.1f} MB, {outcome.seconds:.1f}s)"
    typer.echo(f"{outcome.status:<10} {outcome.artifact.cache_path}{detail}", err=True)


def download_charts_into(
    artifacts: ArtifactSet, charts_dir: Path, zone: str = "", progress: bool = True
) -> tuple[ChartOutcome, ...]:
    """Fetch and verify every chart into ``charts_dir`` (raises ``ArtifactError`` naming the
    chart); with ``progress`` one line per chart goes to stderr."""
    options = DownloadOptions(zone=zone)
    outcomes = asyncio.run(download_charts(artifacts.charts, charts_dir, options=options))
    for outcome in outcomes if progress else ():
        typer.echo(f"{outcome.status:<10} {outcome.path.name}", err=True)
    return outcomes


def gather_os(artifacts: ArtifactSet, os_dir: Path, progress: bool = True) -> list[GatherResult]:
    """Gather the OS package sets this machine serves with apt (``os_gather``); one line per
    set goes to stderr with ``progress``. Raises ``ArtifactError`` when apt fails."""
    results = gather_os_packages(artifacts.os_packages, os_dir)
    for result in results if progress else ():
        typer.echo(describe(result), err=True)
    return results


def pull_images(artifacts: ArtifactSet, images_dir: Path) -> int:
    """Save every image not yet in ``images_dir`` as an OCI archive; return how many."""
    images_dir.mkdir(parents=True, exist_ok=True)
    pulled = 0
    for image in artifacts.images:
        archive = images_dir / image_archive_name(image.source)
        if archive.is_file():
            continue
        partial = archive.with_name(archive.name + ".part")
        partial.unlink(missing_ok=True)  # a .part left by an interrupted pull is no archive
        run_skopeo(pull_argv(image.source, partial, image.arches))
        partial.replace(archive)
        pulled += 1
    return pulled


def _load(file: str) -> Cluster:
    if not Path(file).is_file():
        raise UsageError(f"config file not found: {file}", "pass an existing file with -f")
    return load_config(file).cluster


def artifact_rows(artifacts: ArtifactSet) -> list[dict[str, str]]:
    """One row per artifact: kind, name, version, arch and where it comes from."""
    rows = [
        {"kind": "file", "name": f.filename, "version": f.version, "arch": f.arch, "from": f.url}
        for f in artifacts.files
    ]
    rows += [
        {
            "kind": "image",
            "name": i.target,
            "version": "",
            "arch": ",".join(i.arches),
            "from": i.source,
        }
        for i in artifacts.images
    ]
    rows += [
        {"kind": "chart", "name": c.name, "version": c.version, "arch": "", "from": c.repo}
        for c in artifacts.charts
    ]
    rows += [
        {
            "kind": "os-packages",
            "name": " ".join(s.packages),
            "version": s.os_version,
            "arch": s.arch,
            "from": s.os_id,
        }
        for s in artifacts.os_packages
    ]
    return rows


def download_command(
    ctx: typer.Context,
    file: ConfigOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="Bundle file to write.")] = Path(
        "bundle.tar.gz"
    ),
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the artifact list; download nothing.")
    ] = False,
    arch: ArchOption = None,
    skip: SkipOption = None,
    os_release: OSOption = None,
    work_dir: Annotated[
        Path | None,
        typer.Option("--work-dir", help="Base of the work dirs (default: spec.global.workDir)."),
    ] = None,
) -> None:
    """Download everything a config needs and pack it into one offline bundle."""
    state = get_state(ctx)
    cluster = _load(file)
    skipped = sorted({kind.value for kind in skip or []})
    artifacts = without_kinds(resolve(cluster, arch, os_release), skipped)
    if dry_run:
        _print_rows(artifact_rows(artifacts), state.output)
        return
    cache = work_dir_for(cluster, work_dir).ensure().artifacts
    zone = effective_zone(cluster.spec.global_.zone)
    progress = state.output is not OutputFormat.json
    download_files(artifacts, cache, zone, progress=progress)
    pull_images(artifacts, cache / "images")
    download_charts_into(artifacts, cache / "charts", zone, progress=progress)
    gathered = gather_os(artifacts, cache / "os", progress=progress)
    try:
        manifest = build_bundle(
            artifacts,
            cache,
            output,
            images_dir=cache / "images",
            os_dir=cache / "os",
            cluster_name=cluster.name,
            kubernetes_version=cluster.spec.kubernetes.version,
            skipped=skipped,
        )
    except ArtifactError as error:
        raise _with_os_commands(error, gathered) from error
    _print_built(output, manifest, state.output)


def _with_os_commands(error: ArtifactError, gathered: list[GatherResult]) -> ArtifactError:
    """``error`` with the commands that fill the missing OS package folders as its hint."""
    commands = [result.command for result in gathered if result.status == "missing"]
    if not commands:
        return error
    hint = "for the OS packages, " + "; or ".join(commands)
    return ArtifactError(error.message, f"{hint}; {error.hint}" if error.hint else hint)


def _print_built(output: Path, manifest: BundleManifest, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        print_json({"ok": True, "bundle": str(output), "manifest": manifest.to_dict()})
        return
    size = output.stat().st_size / 1e6
    typer.echo(
        f"wrote {output} ({size:.1f} MB): {len(manifest.files)} files, "
        f"{len(manifest.images)} images, {len(manifest.charts)} charts, "
        f"{sum(len(s.files) for s in manifest.os_packages)} OS packages"
    )
    if manifest.skipped:
        typer.echo(f"left out on purpose: {', '.join(manifest.skipped)}")


def _print_rows(rows: list[dict[str, str]], output: OutputFormat) -> None:
    if output is OutputFormat.json:
        print_json({"ok": True, "artifacts": rows})
        return
    for row in rows:
        arch = f" [{row['arch']}]" if row["arch"] else ""
        version = f" {row['version']}" if row["version"] else ""
        typer.echo(f"{row['kind']:<12} {row['name']}{version}{arch}  <- {row['from']}")
    typer.echo(f"{len(rows)} artifacts")


@bundle_app.command("verify")
def verify(
    ctx: typer.Context,
    bundle: Annotated[Path, typer.Argument(help="The bundle (.tar.gz) to check.")],
    file: ConfigOption,
    arch: ArchOption = None,
    skip: Annotated[
        list[SkipKind] | None, typer.Option("--skip", help="Do not check a kind (repeatable).")
    ] = None,
    os_release: OSOption = None,
    allow_standins: AllowStandinsOpt = False,
) -> None:
    """Check that a bundle holds everything a config needs; exit 1 listing what is not."""
    state = get_state(ctx)
    cluster = _load(file)
    if not bundle.is_file():
        raise UsageError(f"bundle not found: {bundle}", "pass the path of a .tar.gz bundle")
    kinds = [kind.value for kind in skip or []]
    wanted = resolve(cluster, arch, os_release)
    report = verify_bundle(bundle, wanted, skip=kinds, allow_standins=allow_standins)
    if allow_standins:
        warn_standins(report.standins, f"the bundle {bundle}", state.verbose)
    if state.output is OutputFormat.json:
        _print_json_report(report)
        return
    _print_info(report)
    if report.ok:
        size = report.bytes_checked / 1e6
        typer.echo(f"{report.bundle}: complete; {report.members_checked} members, {size:.1f} MB")
        return
    # An error (exit 1) rather than typer.Exit: the entry point maps KubexmError to its exit
    # code and prints it, one line per problem.
    lines = "\n".join(f"  {problem}" for problem in report.problems)
    raise ArtifactError(f"{_incomplete(report)}\n{lines}", _hint(report))


_REBUILD_HINT = (
    "build it again with `kubexm download -f <config>` on a machine with internet access"
)


def _hint(report: VerifyReport) -> str:
    """How to fix the problems: rebuild, and for stand-ins also the flag that accepts them."""
    kinds = {problem.kind for problem in report.problems}
    if kinds == {"stand-in"}:
        return STANDIN_HINT
    return f"{_REBUILD_HINT}; {STANDIN_HINT}" if "stand-in" in kinds else _REBUILD_HINT


def _incomplete(report: VerifyReport) -> str:
    count = len(report.problems)
    plural = "s" if count != 1 else ""
    return f"bundle {report.bundle} is incomplete for this config: {count} problem{plural}"


def _print_info(report: VerifyReport) -> None:
    """Kinds not checked, as info lines before the verdict (stdout: they are no error)."""
    if report.left_out:
        typer.echo(f"left out when built: {', '.join(report.left_out)}")
    if report.not_checked:
        typer.echo(f"not checked (--skip): {', '.join(report.not_checked)}")


def _print_json_report(report: VerifyReport) -> None:
    """One JSON object with every problem as its own item; exit 1 when there are any."""
    data: dict[str, object] = {
        "ok": report.ok,
        "members": report.members_checked,
        "bytes": report.bytes_checked,
        "left_out": list(report.left_out),
        "not_checked": list(report.not_checked),
        "standins": list(report.standins),
    }
    if not report.ok:
        data["errors"] = [_incomplete(report)]
        data["hint"] = _hint(report)
        data["problems"] = [problem.to_dict() for problem in report.problems]
    print_json(data)
    if not report.ok:
        raise typer.Exit(ArtifactError.exit_code)
