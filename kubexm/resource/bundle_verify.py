"""Check an offline bundle against what a config needs, before it is carried into the air gap.

``verify_bundle`` reads the archive once, front to back, re-hashing every member as it streams
past; then it compares the hashes with ``manifest.json`` and the manifest with the required
``ArtifactSet`` (every file for every arch, every image with every arch, every chart, every OS
package). It reports every problem it finds, each naming the item (component/version/arch,
image ref, chart, OS package), instead of stopping at the first. A file labelled ``stand-in``
skips the pin, so it is a problem of its own unless the caller allows stand-ins.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tarfile
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kubexm.errors import ArtifactError
from kubexm.resource.bundle import package_file_matches
from kubexm.resource.bundle_manifest import (
    MANIFEST_NAME,
    BundleFile,
    BundleManifest,
    BundleOSPackages,
    manifest_from_dict,
    os_label,
)
from kubexm.resource.model import ArtifactSet, FileArtifact, ImageArtifact, OSPackageSet
from kubexm.resource.packages import family_of

_CHUNK = 1024 * 1024
_MAX_MANIFEST = 64 * 1024 * 1024
ProblemKind = Literal["file", "image", "chart", "os-package", "member", "stand-in"]
STANDIN_REASON = (
    "labelled stand-in, a test substitute whose pinned digest is not checked; "
    "pass --allow-standins to accept it (test bundles only)"
)


@dataclass(frozen=True)
class VerifyProblem:
    """One thing wrong with a bundle: what kind, which item, why.

    ``item`` is the readable label; ``name``, ``version`` and ``arch`` are the same item as
    separate fields for machine output (empty when they do not apply).
    """

    kind: ProblemKind
    item: str
    reason: str
    name: str = ""
    version: str = ""
    arch: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.item}: {self.reason}"

    def to_dict(self) -> dict[str, str]:
        """Plain data for JSON output: kind, name, version, arch, reason and the label."""
        return {
            "kind": self.kind,
            "name": self.name or self.item,
            "version": self.version,
            "arch": self.arch,
            "reason": self.reason,
            "item": self.item,
        }


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of ``verify_bundle``; ``ok`` when ``problems`` is empty."""

    bundle: Path
    manifest: BundleManifest
    members_checked: int
    bytes_checked: int
    problems: tuple[VerifyProblem, ...] = field(default=())
    # Kinds not checked: left out when the bundle was built, or skipped by the caller.
    left_out: tuple[str, ...] = ()
    not_checked: tuple[str, ...] = ()
    # Files labelled stand-in (``<component>/<version>/<arch>/<file>``), allowed or not.
    standins: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Scan:
    hashes: dict[str, tuple[str, int]] = field(default_factory=dict)
    manifest_data: bytes | None = None
    unsafe: list[str] = field(default_factory=list)


def verify_bundle(
    bundle_path: Path,
    required: ArtifactSet,
    skip: Iterable[str] = (),
    *,
    allow_standins: bool = False,
) -> VerifyReport:
    """Check that ``bundle_path`` holds everything ``required`` names, with the right digests.

    Kinds named in ``skip`` or recorded as ``skipped`` in the manifest (``images``,
    ``charts``, ``os-packages``) are not required. OS package sets without a version (the
    family was not known) are satisfied when any one family of an arch is complete. Every file
    labelled stand-in is a problem unless ``allow_standins``; the report lists them either way.
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
    left_out = tuple(sorted(set(manifest.skipped)))
    not_checked = tuple(sorted(set(skip) - set(left_out)))
    problems += _check_required(manifest, without_kinds(required, {*left_out, *not_checked}))
    problems += [] if allow_standins else standin_problems(manifest)
    return VerifyReport(
        bundle=bundle_path,
        manifest=manifest,
        members_checked=len(scan.hashes),
        bytes_checked=sum(size for _, size in scan.hashes.values()),
        problems=tuple(problems),
        left_out=left_out,
        not_checked=not_checked,
        standins=tuple(_item(entry) for entry in manifest.standins()),
    )


def missing_from(manifest: BundleManifest, required: ArtifactSet) -> list[VerifyProblem]:
    """What ``required`` needs and ``manifest`` does not list, judged from the manifest alone
    (no member is read); kinds the manifest records as skipped are not required."""
    return list(_check_required(manifest, without_kinds(required, manifest.skipped)))


def standin_problems(manifest: BundleManifest) -> list[VerifyProblem]:
    """One problem per file labelled stand-in: nothing checks it against the upstream pin."""
    return [
        VerifyProblem("stand-in", _item(f), STANDIN_REASON, f.component, f.version, f.arch)
        for f in manifest.standins()
    ]


def pin_problems(manifest: BundleManifest, files: Iterable[FileArtifact]) -> list[VerifyProblem]:
    """The files of ``files`` the bundle holds, labelled upstream, that differ from their pin
    (a file the bundle lacks is no problem here)."""
    return [
        problem
        for artifact in files
        if manifest.find_file(artifact) is not None
        for problem in _check_file(manifest, artifact)
    ]


def _item(entry: BundleFile) -> str:
    return f"{entry.component}/{entry.version}/{entry.arch}/{entry.filename}"


def without_kinds(artifacts: ArtifactSet, kinds: Collection[str]) -> ArtifactSet:
    """``artifacts`` with the named kinds (``images``, ``charts``, ``os-packages``) emptied."""
    return dataclasses.replace(
        artifacts,
        images=() if "images" in kinds else artifacts.images,
        charts=() if "charts" in kinds else artifacts.charts,
        os_packages=() if "os-packages" in kinds else artifacts.os_packages,
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
            item = f"{chart.name} {chart.version}"
            yield VerifyProblem("chart", item, "not in the bundle", chart.name, chart.version)
    yield from _check_os(manifest, required.os_packages)


def _check_os(
    manifest: BundleManifest, wanted: tuple[OSPackageSet, ...]
) -> Iterator[VerifyProblem]:
    """Exact sets must each be complete; versionless sets need one complete family per arch."""
    any_family: dict[str, list[list[VerifyProblem]]] = defaultdict(list)
    for package_set in wanted:
        missing = list(_missing_os(manifest, package_set))
        if package_set.os_version:
            yield from missing
        else:
            any_family[package_set.arch].append(missing)
    for options in any_family.values():
        if all(options):  # no family of this arch is complete: show what each one lacks
            reason = "not in the bundle (any one OS family would do)" if len(options) > 1 else ""
            for missing in options:
                yield from (dataclasses.replace(p, reason=reason or p.reason) for p in missing)


def _missing_os(manifest: BundleManifest, package_set: OSPackageSet) -> Iterator[VerifyProblem]:
    label = os_label(package_set.os_id, package_set.os_version)
    names = [Path(f.path).name for entry in _os_entries(manifest, package_set) for f in entry.files]
    for package in package_set.packages:
        if not any(package_file_matches(name, package) for name in names):
            yield VerifyProblem(
                "os-package",
                f"{label}/{package_set.arch} {package}",
                "not in the bundle",
                package,
                label,
                package_set.arch,
            )


def _os_entries(manifest: BundleManifest, package_set: OSPackageSet) -> list[BundleOSPackages]:
    """The manifest's sets that can serve ``package_set``: the exact OS/version, or for a
    versionless family set every set of that family and arch."""
    if package_set.os_version:
        entry = manifest.find_os(package_set.os_id, package_set.os_version, package_set.arch)
        return [entry] if entry else []
    return [
        entry
        for entry in manifest.os_packages
        if entry.arch == package_set.arch and _in_family(entry.os_id, package_set.os_id)
    ]


def _in_family(os_id: str, family: str) -> bool:
    if os_id == family:
        return True
    try:
        return family_of(os_id) == family
    except ArtifactError:  # an OS kubexm has no package names for belongs to no family
        return False


def _check_file(manifest: BundleManifest, artifact: FileArtifact) -> Iterator[VerifyProblem]:
    item = f"{artifact.component}/{artifact.version}/{artifact.arch}/{artifact.filename}"
    entry = manifest.find_file(artifact)
    if entry is None:
        reason = f"not in the bundle (needed for {artifact.arch})"
    elif entry.label == "upstream" and artifact.sha256 and entry.sha256 != artifact.sha256:
        reason = f"sha256 {entry.sha256} differs from the pinned {artifact.sha256}"
    else:
        return
    yield VerifyProblem("file", item, reason, artifact.component, artifact.version, artifact.arch)


def _check_image(manifest: BundleManifest, image: ImageArtifact) -> Iterator[VerifyProblem]:
    entry = manifest.find_image(image)
    if entry is None:
        arches = ",".join(image.arches)
        yield VerifyProblem("image", image.source, "not in the bundle", image.source, "", arches)
        return
    absent = sorted(set(image.arches) - set(entry.arches))
    if absent:
        reason = f"no platform for {', '.join(absent)}"
        yield VerifyProblem("image", image.source, reason, image.source, "", ",".join(absent))
