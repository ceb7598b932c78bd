"""Use an offline bundle: extract it safely, then serve artifacts only from it.

``open_bundle`` extracts regular files and folders only (no links, devices, absolute paths or
``..``), checks every extracted file against ``manifest.json`` and leaves a marker so a second
call with the same bundle does nothing. ``OfflineSource`` answers "where is this artifact" from
the extracted tree and never reaches the network: anything not in the bundle is an
``ArtifactError`` whose hint says how to add it. ``require_complete`` checks, from the
manifest alone, that a bundle holds everything a config needs, with upstream files equal to
their pins and no stand-in unless allowed. Staging a bundle into the artifact cache is
``kubexm.resource.bundle_stage``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
from collections.abc import Iterable
from pathlib import Path

from kubexm.errors import ArtifactError
from kubexm.resource.bundle_manifest import (
    MANIFEST_NAME,
    STANDIN_HINT,
    BundleManifest,
    manifest_from_dict,
)
from kubexm.resource.bundle_verify import (
    VerifyProblem,
    is_safe_name,
    missing_from,
    pin_problems,
    standin_problems,
)
from kubexm.resource.model import ArtifactSet, ChartArtifact, FileArtifact, ImageArtifact

MARKER = ".kubexm_extracted"
_CHUNK = 1024 * 1024
_NOT_IN_BUNDLE_HINT = (
    "build the bundle for this config with `kubexm download -f <config> -o <bundle>` and "
    "check it with `kubexm bundle verify -f <config> <bundle>`"
)


def open_bundle(path: Path, dest: Path) -> BundleManifest:
    """Extract ``path`` into ``dest`` (once) and return its manifest.

    Raises ``ArtifactError`` when the bundle cannot be read, holds an unsafe member (which is
    not extracted), or an extracted file differs from its manifest digest. On failure no
    marker is written, so the next call extracts again.
    """
    stamp = bundle_stamp(path)
    marker = dest / MARKER
    if marker.is_file() and marker.read_text(encoding="utf-8") == stamp:
        return read_manifest(dest)
    dest.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    hashes = _extract(path, dest)
    manifest = read_manifest(dest)
    wrong = [
        name
        for name, (digest, _) in sorted(manifest.members().items())
        if hashes.get(name) != digest
    ]
    if wrong:
        raise ArtifactError(
            f"bundle {path}: {len(wrong)} member(s) missing or corrupt: {', '.join(wrong)}",
            "copy the bundle again and check it with `kubexm bundle verify`",
        )
    marker.write_text(stamp, encoding="utf-8")
    return manifest


def bundle_stamp(path: Path) -> str:
    """What identifies one bundle file cheaply: its absolute path, size and mtime.

    Raises ``ArtifactError`` when the file cannot be read.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise ArtifactError(
            f"cannot read the bundle {path}: {exc.strerror}", "pass the path of an existing bundle"
        ) from exc
    return f"{path.resolve()} {stat.st_size} {stat.st_mtime_ns}\n"


def _extract(path: Path, dest: Path) -> dict[str, str]:
    hashes: dict[str, str] = {}
    root = dest.resolve()
    try:
        with tarfile.open(path, "r|gz") as archive:
            for member in archive:
                target = _safe_target(root, member)
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                hashes[member.name] = _copy_member(archive, member, target)
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise ArtifactError(
            f"cannot extract the bundle {path}: {exc}",
            "the file is truncated or not a .tar.gz, or the destination is not writable",
        ) from exc
    return hashes


def _safe_target(root: Path, member: tarfile.TarInfo) -> Path:
    """Where ``member`` goes; ``ArtifactError`` for links, devices and escaping names."""
    target = (root / member.name).resolve()
    inside = target == root or root in target.parents
    if not (member.isfile() or member.isdir()) or not is_safe_name(member.name) or not inside:
        raise ArtifactError(
            f"bundle member {member.name!r} is not a plain file inside the bundle; refusing it",
            "use a bundle built by `kubexm download`; this one may have been tampered with",
        )
    return target


def _copy_member(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> str:
    stream = archive.extractfile(member)
    if stream is None:
        raise ArtifactError(f"bundle member {member.name} cannot be read")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    partial = target.with_name(target.name + ".part")
    with partial.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    os.chmod(partial, 0o755 if member.mode & 0o111 else 0o644)
    partial.replace(target)
    return digest.hexdigest()


def read_manifest(root: Path) -> BundleManifest:
    """The manifest of an extracted bundle; ``ArtifactError`` when absent or invalid."""
    try:
        data = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ArtifactError(
            f"{root} has no readable {MANIFEST_NAME}: {exc}",
            "extract a bundle built by `kubexm download` there",
        ) from exc
    return manifest_from_dict(data)


class OfflineSource:
    """Artifacts served from an extracted bundle; nothing here reaches the network."""

    def __init__(self, root: Path, manifest: BundleManifest) -> None:
        self.root = root
        self.manifest = manifest

    @classmethod
    def from_dir(cls, root: Path) -> OfflineSource:
        """The source for a folder ``open_bundle`` extracted into."""
        return cls(root, read_manifest(root))

    def file(self, artifact: FileArtifact) -> Path:
        """Local path of a release file; ``ArtifactError`` when the bundle lacks it."""
        entry = self.manifest.find_file(artifact)
        if entry is None:
            raise self._missing(f"file {artifact.cache_path}")
        return self._existing(entry.path)

    def image(self, image: ImageArtifact) -> Path:
        """Local OCI archive of an image, holding every arch ``image`` asks for."""
        entry = self.manifest.find_image(image)
        if entry is None:
            raise self._missing(f"image {image.source}")
        absent = sorted(set(image.arches) - set(entry.arches))
        if absent:
            raise self._missing(f"image {image.source} for {', '.join(absent)}")
        return self._existing(entry.path)

    def chart(self, chart: ChartArtifact) -> Path:
        """Local chart archive; ``ArtifactError`` when the bundle lacks it."""
        entry = self.manifest.find_chart(chart)
        if entry is None:
            raise self._missing(f"chart {chart.name} {chart.version}")
        return self._existing(entry.path)

    def os_packages(self, os_id: str, os_version: str, arch: str) -> tuple[Path, ...]:
        """Every package file for one OS/version/arch (the dependencies included)."""
        entry = self.manifest.find_os(os_id, os_version, arch)
        if entry is None:
            raise self._missing(f"OS packages for {os_id} {os_version} {arch}")
        return tuple(self._existing(package.path) for package in entry.files)

    def _existing(self, member: str) -> Path:
        path = self.root / member
        if not path.is_file():
            raise ArtifactError(
                f"{path} is listed in the bundle manifest but missing on disk",
                "extract the bundle again (delete the folder first)",
            )
        return path

    def _missing(self, what: str) -> ArtifactError:
        return ArtifactError(
            f"{what} is not in the offline bundle at {self.root}", _NOT_IN_BUNDLE_HINT
        )


def require_complete(
    manifest: BundleManifest,
    required: ArtifactSet,
    bundle: Path,
    *,
    allow_standins: bool = False,
    pinned: Iterable[FileArtifact] = (),
) -> None:
    """Return when the bundle holds everything ``required`` names (kinds recorded as skipped
    when it was built excepted), its upstream files of ``required`` and of ``pinned`` equal
    their pins, and it has no file labelled stand-in unless ``allow_standins``.

    Raises ``ArtifactError`` listing every missing or mismatching item, then every stand-in.
    Staging calls it before anything reaches the artifact cache.
    """
    problems = [*missing_from(manifest, required), *pin_problems(manifest, pinned)]
    refused = [] if allow_standins else standin_problems(manifest)
    if not problems and not refused:
        return
    parts = [_lacks(bundle, problems)] if problems else []
    if refused:
        parts.append(
            f"the bundle {bundle} holds {_count(refused, 'file')} labelled stand-in, not the "
            f"upstream release (their pinned digests are not checked):"
            + "".join(f"\n  {problem.item}" for problem in refused)
        )
    hints = [_NOT_IN_BUNDLE_HINT] if problems else []
    hints += [STANDIN_HINT] if refused else []
    raise ArtifactError("\n".join(parts), "; ".join(hints))


def _count(items: list[VerifyProblem], noun: str) -> str:
    return f"{len(items)} {noun}{'s' if len(items) != 1 else ''}"


def _lacks(bundle: Path, problems: list[VerifyProblem]) -> str:
    lines = "".join(f"\n  {problem}" for problem in problems)
    return f"the bundle {bundle} lacks {_count(problems, 'artifact')} this config needs:{lines}"
