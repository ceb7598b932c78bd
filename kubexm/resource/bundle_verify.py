"""Check an offline bundle against what a config needs, before it is carried into the air gap.

``verify_bundle`` reads the archive once, front to back, re-hashing every member as it streams
past; then it compares the hashes with ``manifest.json`` and the manifest with the required
``ArtifactSet`` (every file for every arch, every image with every arch, every chart, every OS
package). It reports every problem it finds, each naming the item (component/version/arch,
image ref, chart, OS package), instead of stopping at the first.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kubexm.errors import ArtifactError
from kubexm.resource.bundle import package_file_matches
from kubexm.resource.bundle_manifest import MANIFEST_NAME, BundleManifest, manifest_from_dict
from kubexm.resource.model import ArtifactSet, FileArtifact, ImageArtifact

_CHUNK = 1024 * 1024
_MAX_MANIFEST = 64 * 1024 * 1024
ProblemKind = Literal["file", "image", "chart", "os-package", "member"]


@dataclass(frozen=True)
class VerifyProblem:
    """One thing wrong with a bundle: what kind, which item, why."""

    kind: ProblemKind
    item: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind} {self.item}: {self.reason}"


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of ``verify_bundle``; ``ok`` when ``problems`` is empty."""

    bundle: Path
    manifest: BundleManifest
    members_checked: int
    bytes_checked: int
    problems: tuple[VerifyProblem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Scan:
    hashes: dict[str, tuple[str, int]] = field(default_factory=dict)
    manifest_data: bytes | None = None
    unsafe: list[str] = field(default_factory=list)


def verify_bundle(bundle_path: Path, required: ArtifactSet) -> VerifyReport:
    """Check that ``bundle_path`` holds everything ``required`` names, with the right digests.

    Raises ``ArtifactError`` when the file cannot be read as a gzip tar or has no valid
    ``manifest.json``; every other problem is listed in the returned report.
    """
    scan = _scan(bundle_path)
    if scan.manifest_data is None:
        raise ArtifactError(
            f"{bundle_path} has no {MANIFEST_NAME}; it is not a kubexm bundle",
            "build one with `kubexm download -f <config> -o <bundle>`",
        )
    try:
        manifest = manifest_from_dict(json.loads(scan.manifest_data))
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{bundle_path}: {MANIFEST_NAME} is not valid JSON: {exc}") from exc
    problems = [
        VerifyProblem("member", name, "unsafe entry (link or path)") for name in scan.unsafe
    ]
    problems += _check_members(manifest, scan.hashes)
    problems += _check_required(manifest, required)
    return VerifyReport(
        bundle=bundle_path,
        manifest=manifest,
        members_checked=len(scan.hashes),
        bytes_checked=sum(size for _, size in scan.hashes.values()),
        problems=tuple(problems),
    )


def _scan(bundle_path: Path) -> _Scan:
    scan = _Scan()
    try:
        with tarfile.open(bundle_path, "r|gz") as archive:
            for member in archive:
                if not member.isfile() or not is_safe_name(member.name):
                    if not member.isdir() or not is_safe_name(member.name):
                        scan.unsafe.append(member.name)
                    continue
                digest, data = _hash_member(archive, member)
                scan.hashes[member.name] = (digest, member.size)
                if member.name == MANIFEST_NAME:
                    scan.manifest_data = data
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise ArtifactError(
            f"cannot read the bundle {bundle_path}: {exc}",
            "the file is truncated or not a .tar.gz; copy or build it again",
        ) from exc
    return scan


def _hash_member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> tuple[str, bytes | None]:
    """sha256 of one member, and its bytes when it is the (small) manifest."""
    stream = archive.extractfile(member)
    keep = member.name == MANIFEST_NAME and member.size <= _MAX_MANIFEST
    digest, kept = hashlib.sha256(), bytearray()
    while stream is not None and (chunk := stream.read(_CHUNK)):
        digest.update(chunk)
        if keep:
            kept += chunk
    return digest.hexdigest(), bytes(kept) if keep else None


def is_safe_name(name: str) -> bool:
    """A member name that stays inside the extraction folder: relative, no ``..`` part."""
    parts = name.replace("\\", "/").split("/")
    return bool(name) and not name.startswith("/") and ".." not in parts and ":" not in parts[0]


def _check_members(
    manifest: BundleManifest, hashes: dict[str, tuple[str, int]]
) -> Iterator[VerifyProblem]:
    for path, (digest, size) in sorted(manifest.members().items()):
        found = hashes.get(path)
        if found is None:
            yield VerifyProblem("member", path, "listed in the manifest but not in the archive")
        elif found[0] != digest or found[1] != size:
            yield VerifyProblem(
                "member", path, f"content differs: sha256 {found[0]}, manifest says {digest}"
            )


def _check_required(manifest: BundleManifest, required: ArtifactSet) -> Iterator[VerifyProblem]:
    for artifact in required.files:
        yield from _check_file(manifest, artifact)
    for image in required.images:
        yield from _check_image(manifest, image)
    for chart in required.charts:
        if manifest.find_chart(chart) is None:
            yield VerifyProblem("chart", f"{chart.name} {chart.version}", "not in the bundle")
    for package_set in required.os_packages:
        item = f"{package_set.os_id}-{package_set.os_version}/{package_set.arch}"
        entry = manifest.find_os(package_set.os_id, package_set.os_version, package_set.arch)
        names = [Path(f.path).name for f in entry.files] if entry else []
        for package in package_set.packages:
            if not any(package_file_matches(name, package) for name in names):
                yield VerifyProblem("os-package", f"{item} {package}", "not in the bundle")


def _check_file(manifest: BundleManifest, artifact: FileArtifact) -> Iterator[VerifyProblem]:
    item = f"{artifact.component}/{artifact.version}/{artifact.arch}/{artifact.filename}"
    entry = manifest.find_file(artifact)
    if entry is None:
        yield VerifyProblem("file", item, f"not in the bundle (needed for {artifact.arch})")
    elif entry.label == "upstream" and artifact.sha256 and entry.sha256 != artifact.sha256:
        yield VerifyProblem(
            "file", item, f"sha256 {entry.sha256} differs from the pinned {artifact.sha256}"
        )


def _check_image(manifest: BundleManifest, image: ImageArtifact) -> Iterator[VerifyProblem]:
    entry = manifest.find_image(image)
    if entry is None:
        yield VerifyProblem("image", image.source, "not in the bundle")
        return
    absent = sorted(set(image.arches) - set(entry.arches))
    if absent:
        yield VerifyProblem("image", image.source, f"no platform for {', '.join(absent)}")
