"""Build an offline bundle from the artifact cache (format: see ``bundle_manifest``).

``build_bundle`` collects what an ``ArtifactSet`` names from the cache, the image archives and
the OS package folders, refuses to start when anything is missing (listing all of it), hashes
every piece, and writes one ``.tar.gz`` with ``manifest.json`` first. Files are streamed from
disk into the archive, never read whole into memory. The archive is written under a temporary
name and renamed, so a failed build never leaves a bundle that looks complete.
"""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kubexm import __version__
from kubexm.errors import ArtifactError
from kubexm.resource.bundle_manifest import (
    MANIFEST_NAME,
    BundleChart,
    BundleFile,
    BundleImage,
    BundleManifest,
    BundleOSPackages,
    Label,
    PackageFile,
    chart_member,
    file_member,
    os_dir_member,
    os_label,
)
from kubexm.resource.model import ArtifactSet, FileArtifact, ImageArtifact, OSPackageSet
from kubexm.resource.oci import image_archive_name, read_oci_archive
from kubexm.util.hashing import sha256_file

PACKAGE_SUFFIXES = (".deb", ".rpm")
_MISSING_HINT = "download the missing pieces (kubexm download) or fix the paths, then build again"


@dataclass(frozen=True)
class BundleSources:
    """Where ``build_bundle`` finds each kind of artifact on this machine."""

    cache_dir: Path
    images_dir: Path
    os_dir: Path
    charts_dir: Path


def build_bundle(
    artifacts: ArtifactSet,
    cache_dir: Path,
    out_path: Path,
    *,
    images_dir: Path,
    os_dir: Path,
    labels: Mapping[str, Label] | None = None,
    charts_dir: Path | None = None,
    cluster_name: str = "",
    kubernetes_version: str = "",
    compresslevel: int = 6,
    skipped: Iterable[str] = (),
) -> BundleManifest:
    """Pack everything ``artifacts`` needs into ``out_path`` and return its manifest.

    ``labels`` maps a component to ``stand-in`` for test substitutes (default ``upstream``);
    an upstream file with a pinned sha256 must match it. Images come from
    ``images_dir/<image_archive_name(source)>``, charts from ``charts_dir`` (default
    ``cache_dir/charts``), OS packages from ``os_dir/<os_id>-<version>/<arch>/``; of OS
    sets without a version (family unknown) one complete family per arch is enough.
    ``skipped`` names the kinds left out on purpose (recorded in the manifest).
    Raises ``ArtifactError`` listing every missing or mismatching piece before anything is
    written, and when the archive cannot be written.
    """
    sources = BundleSources(cache_dir, images_dir, os_dir, charts_dir or cache_dir / "charts")
    problems: list[str] = []
    files = _collect_files(artifacts.files, sources, labels or {}, problems)
    images = _collect_images(artifacts.images, sources, problems)
    charts = _collect_charts(artifacts, sources, problems)
    os_sets = _collect_os(artifacts.os_packages, sources, problems)
    if problems:
        count = len(problems)
        raise ArtifactError(
            f"cannot build the bundle: {count} problem{'s' if count != 1 else ''}\n  "
            + "\n  ".join(problems),
            _MISSING_HINT,
        )
    manifest = BundleManifest(
        kubexm_version=__version__,
        created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        cluster_name=cluster_name,
        kubernetes_version=kubernetes_version,
        files=tuple(entry for entry, _ in files),
        images=tuple(entry for entry, _ in images),
        charts=tuple(entry for entry, _ in charts),
        os_packages=tuple(entry for entry, _ in os_sets),
        arches=tuple(artifacts.arches),
        skipped=tuple(sorted(set(skipped))),
    )
    members = [(entry.path, src) for entry, src in files]
    members += [(entry.path, src) for entry, src in images]
    members += [(entry.path, src) for entry, src in charts]
    members += [(entry.path, src) for _, pairs in os_sets for entry, src in pairs]
    _write_archive(out_path, manifest, members, compresslevel)
    return manifest


def _collect_files(
    wanted: tuple[FileArtifact, ...],
    sources: BundleSources,
    labels: Mapping[str, Label],
    problems: list[str],
) -> list[tuple[BundleFile, Path]]:
    found: list[tuple[BundleFile, Path]] = []
    for artifact in wanted:
        src = sources.cache_dir / artifact.cache_path
        if not src.is_file():
            problems.append(f"missing file {artifact.cache_path} (expected at {src})")
            continue
        label = labels.get(artifact.component, "upstream")
        digest = sha256_file(src)
        if label == "upstream" and artifact.sha256 and artifact.sha256.lower() != digest:
            problems.append(
                f"file {artifact.cache_path} has sha256 {digest}, "
                f"the pinned upstream digest is {artifact.sha256}"
            )
            continue
        entry = BundleFile(
            component=artifact.component,
            version=artifact.version,
            arch=artifact.arch,
            filename=artifact.filename,
            path=file_member(artifact),
            sha256=digest,
            size=src.stat().st_size,
            label=label,
        )
        found.append((entry, src))
    return found


def _collect_images(
    wanted: tuple[ImageArtifact, ...], sources: BundleSources, problems: list[str]
) -> list[tuple[BundleImage, Path]]:
    found: list[tuple[BundleImage, Path]] = []
    for image in wanted:
        name = image_archive_name(image.source)
        src = sources.images_dir / name
        if not src.is_file():
            problems.append(f"missing image {image.source} (expected at {src})")
            continue
        try:
            info = read_oci_archive(src)
        except ArtifactError as exc:
            problems.append(f"image {image.source}: {exc.message}")
            continue
        absent = sorted(set(image.arches) - set(info.arches))
        if absent:
            problems.append(f"image {image.source} has no {', '.join(absent)} platform in {src}")
            continue
        entry = BundleImage(
            source=image.source,
            target=image.target,
            arches=info.arches,
            path=f"images/{name}",
            digest=info.digest,
            sha256=sha256_file(src),
            size=src.stat().st_size,
        )
        found.append((entry, src))
    return found


def _collect_charts(
    artifacts: ArtifactSet, sources: BundleSources, problems: list[str]
) -> list[tuple[BundleChart, Path]]:
    found: list[tuple[BundleChart, Path]] = []
    for chart in artifacts.charts:
        member = chart_member(chart)
        src = sources.charts_dir / Path(member).name
        if not src.is_file():
            problems.append(f"missing chart {chart.name} {chart.version} (expected at {src})")
            continue
        entry = BundleChart(
            name=chart.name,
            version=chart.version,
            repo=chart.repo,
            path=member,
            sha256=sha256_file(src),
            size=src.stat().st_size,
        )
        found.append((entry, src))
    return found


def package_file_matches(filename: str, package: str) -> bool:
    """Whether a .deb/.rpm file name holds ``package`` (``name_ver_arch.deb``,
    ``name-ver-rel.arch.rpm``)."""
    if filename.endswith(".deb"):
        return filename.startswith(f"{package}_")
    if filename.endswith(".rpm") and filename.startswith(f"{package}-"):
        return filename[len(package) + 1 : len(package) + 2].isdigit()
    return False


_OSPair = tuple[BundleOSPackages, list[tuple[PackageFile, Path]]]


def _collect_os(
    wanted: tuple[OSPackageSet, ...], sources: BundleSources, problems: list[str]
) -> list[_OSPair]:
    found: list[_OSPair] = []
    # Versionless (family) sets: arch -> what each incomplete family lacks.
    family_gaps: dict[str, list[str]] = defaultdict(list)
    complete_arches: set[str] = set()
    for package_set in wanted:
        outcome = _os_set(package_set, sources)
        if isinstance(outcome, str):
            gaps = family_gaps[package_set.arch] if not package_set.os_version else problems
            gaps.append(outcome)
            continue
        if not package_set.os_version:
            complete_arches.add(package_set.arch)
        found.append(outcome)
    for arch, gaps in family_gaps.items():
        if arch not in complete_arches:
            problems.extend(gaps)
    return found


def _os_set(package_set: OSPackageSet, sources: BundleSources) -> _OSPair | str:
    """The entry and files of one OS package set, or what is missing from its folder."""
    folder = os_dir_member(package_set.os_id, package_set.os_version, package_set.arch)
    src_dir = sources.os_dir / Path(folder).relative_to("os")
    present = sorted(p for p in src_dir.glob("*") if p.suffix in PACKAGE_SUFFIXES)
    names = [p.name for p in present]
    absent = [
        name
        for name in package_set.packages
        if not any(package_file_matches(f, name) for f in names)
    ]
    if absent:
        label = os_label(package_set.os_id, package_set.os_version)
        return (
            f"missing OS packages for {label}/{package_set.arch}: {', '.join(absent)} "
            f"(expected in {src_dir})"
        )
    pairs = [
        (PackageFile(f"{folder}/{p.name}", sha256_file(p), p.stat().st_size), p) for p in present
    ]
    entry = BundleOSPackages(
        os_id=package_set.os_id,
        os_version=package_set.os_version,
        arch=package_set.arch,
        packages=package_set.packages,
        files=tuple(package for package, _ in pairs),
    )
    return entry, pairs


def _write_archive(
    out_path: Path, manifest: BundleManifest, members: list[tuple[str, Path]], level: int
) -> None:
    partial = out_path.with_name(out_path.name + ".part")
    data = json.dumps(manifest.to_dict(), indent=2).encode() + b"\n"
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(partial, "w:gz", compresslevel=level, format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size, info.mode = len(data), 0o644
            info.mtime = int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(data))
            for name, src in members:
                _add_streamed(tar, name, src)
        partial.replace(out_path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise ArtifactError(
            f"cannot write the bundle {out_path}: {exc.strerror or exc}",
            "check the free space and permissions of the output folder",
        ) from exc


def _add_streamed(tar: tarfile.TarFile, name: str, src: Path) -> None:
    """Add a regular file under ``name``; ``addfile`` copies it in chunks from the open file."""
    stat = src.stat()
    info = tarfile.TarInfo(name)
    info.size, info.mtime = stat.st_size, int(stat.st_mtime)
    info.mode = 0o755 if stat.st_mode & 0o111 else 0o644
    with src.open("rb") as stream:
        tar.addfile(info, stream)
