"""Stage an offline bundle into the artifact cache only after it has passed every check.

``stage_bundle`` extracts the bundle into a temporary folder inside the work dir
(``<work dir>/<cluster>/.bundle-stage-<pid>-<random>``), hashing every member against
``manifest.json`` as it goes, then checks the manifest against what the run needs (every
artifact present, upstream files equal to their pins, no stand-in unless allowed). Only a
bundle that passes is moved to ``<artifacts>/.bundle`` and linked into the layout the deploy
steps read, one atomic rename per file. A refused bundle leaves the cache as it was.
``staged_bundle`` is the same for a dry run, which writes nothing to the cache: the run reads
a temporary view, removed when the block ends.

A second call with the same bundle file (path, size and mtime) does not extract again: the
members already in ``<artifacts>/.bundle`` are confirmed against the manifest through the
digest record of ``kubexm.resource.cache_verify``, which hashes only a file whose stat changed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kubexm.errors import ArtifactError
from kubexm.resource.bundle_manifest import BundleManifest, Label
from kubexm.resource.bundle_offline import (
    MARKER,
    bundle_stamp,
    open_bundle,
    read_manifest,
    require_complete,
)
from kubexm.resource.cache_verify import DigestRecord
from kubexm.resource.model import ArtifactSet, FileArtifact

BUNDLE_DIR = ".bundle"
STAGE_PREFIX = ".bundle-stage-"
_FILES = "files/"


@dataclass(frozen=True)
class StagedBundle:
    """A bundle that passed every check, and the folder the run reads its artifacts from:
    the artifact cache, or in a dry run possibly a temporary view of the bundle."""

    bundle: Path
    manifest: BundleManifest
    artifacts: Path
    # Files labelled stand-in, as ``<component>/<version>/<arch>/<file>``; allowed, or none.
    standins: tuple[str, ...]


@dataclass(frozen=True)
class _Checks:
    required: ArtifactSet
    pinned: tuple[FileArtifact, ...]
    allow_standins: bool

    def apply(self, manifest: BundleManifest, bundle: Path) -> tuple[str, ...]:
        """The stand-ins of ``manifest`` when it passes; else ``ArtifactError`` from
        ``require_complete``."""
        require_complete(
            manifest,
            self.required,
            bundle,
            allow_standins=self.allow_standins,
            pinned=self.pinned,
        )
        return tuple(entry.path.removeprefix(_FILES) for entry in manifest.standins())


def stage_bundle(
    path: Path,
    artifacts: Path,
    required: ArtifactSet,
    *,
    allow_standins: bool = False,
    pinned: Iterable[FileArtifact] = (),
) -> StagedBundle:
    """Check the bundle at ``path`` and make its members part of the cache ``artifacts``.

    ``required`` is what the run needs (see ``require_complete``); ``pinned`` names more files
    whose pins apply when the bundle holds them. A file already in place with other content is
    replaced (the bundle is what the user chose). Raises ``ArtifactError``, with the cache as
    it was, when the bundle cannot be read, holds an unsafe or corrupt member, or fails a
    check; also when a member cannot be placed (the cache then holds some checked members).
    """
    checks = _Checks(required, tuple(pinned), allow_standins)
    record = DigestRecord.load(artifacts)
    manifest = _already_staged(path, artifacts, record)
    if manifest is not None:
        standins = checks.apply(manifest, path)
    else:
        with _stage_dir(artifacts.parent) as tmp:
            manifest, standins = _extract_checked(path, tmp / "bundle", checks)
            _swap_in(tmp / "bundle", artifacts / BUNDLE_DIR, tmp / "old")
            _record_members(record, manifest)
    _place(artifacts / BUNDLE_DIR, artifacts, manifest, record)
    record.save()
    return StagedBundle(path, manifest, artifacts, standins)


@contextlib.contextmanager
def staged_bundle(
    path: Path,
    artifacts: Path,
    required: ArtifactSet,
    *,
    allow_standins: bool = False,
    pinned: Iterable[FileArtifact] = (),
    dry_run: bool = False,
) -> Iterator[StagedBundle]:
    """``stage_bundle``, or for a dry run the same checks with nothing written to the cache.

    A dry run reads ``artifacts`` itself when this bundle is staged there already and every
    member is in place; otherwise the bundle is extracted into a temporary folder inside the
    work dir, which is the run's view and is removed when the block ends. Raises like
    ``stage_bundle``.
    """
    if not dry_run:
        yield stage_bundle(path, artifacts, required, allow_standins=allow_standins, pinned=pinned)
        return
    checks = _Checks(required, tuple(pinned), allow_standins)
    manifest = _already_staged(path, artifacts, DigestRecord.load(artifacts))  # never saved
    if manifest is not None and _in_place(artifacts, manifest):
        yield StagedBundle(path, manifest, artifacts, checks.apply(manifest, path))
        return
    with _stage_dir(artifacts.parent) as tmp:
        manifest, standins = _extract_checked(path, tmp / "bundle", checks)
        _place(tmp / "bundle", tmp / "artifacts", manifest, None)
        yield StagedBundle(path, manifest, tmp / "artifacts", standins)


def _extract_checked(
    path: Path, dest: Path, checks: _Checks
) -> tuple[BundleManifest, tuple[str, ...]]:
    """Extract into ``dest`` (every member hashed against the manifest), then run the checks;
    the manifest and its stand-ins."""
    manifest = open_bundle(path, dest)
    return manifest, checks.apply(manifest, path)


def _already_staged(path: Path, artifacts: Path, record: DigestRecord) -> BundleManifest | None:
    """The manifest when ``<artifacts>/.bundle`` holds this very bundle file, every member
    with its manifest digest (confirmed from the record, hashed when its stat changed)."""
    root = artifacts / BUNDLE_DIR
    try:
        if (root / MARKER).read_text(encoding="utf-8") != bundle_stamp(path):
            return None
        manifest = read_manifest(root)
        for member, (digest, _) in manifest.members().items():
            if record.confirm(f"{BUNDLE_DIR}/{member}").sha256 != digest:
                return None
    except (OSError, ArtifactError):
        return None
    return manifest


def _record_members(record: DigestRecord, manifest: BundleManifest) -> None:
    """Record the digests of a freshly extracted ``.bundle``: open_bundle has hashed them."""
    labels: dict[str, Label] = {entry.path: entry.label for entry in manifest.files}
    record.forget(f"{BUNDLE_DIR}/")
    for member, (digest, _) in manifest.members().items():
        record.put(f"{BUNDLE_DIR}/{member}", digest, labels.get(member, "upstream"))


def _target(root: Path, member: str) -> Path:
    """Where the deploy steps read ``member``: release files without their ``files/``."""
    return root / member.removeprefix(_FILES)


def _place(
    source: Path, artifacts: Path, manifest: BundleManifest, record: DigestRecord | None
) -> None:
    """Link every member of ``source`` into the cache layout under ``artifacts`` and record
    the release files' digests. Raises ``ArtifactError`` when a link cannot be made."""
    labels: dict[str, Label] = {entry.path: entry.label for entry in manifest.files}
    for member, (digest, _) in manifest.members().items():
        target = _target(artifacts, member)
        try:
            _link(source / member, target)
            if record is not None and member.startswith(_FILES):
                record.put(member.removeprefix(_FILES), digest, labels.get(member, "upstream"))
        except OSError as exc:
            raise ArtifactError(
                f"cannot place bundle member {member} at {target}: {exc.strerror or exc}",
                f"check that {artifacts} is writable",
            ) from exc


def _link(source: Path, target: Path) -> None:
    if target.is_file() and os.path.samefile(source, target):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".link")
    partial.unlink(missing_ok=True)
    os.link(source, partial)
    partial.replace(target)


def _in_place(artifacts: Path, manifest: BundleManifest) -> bool:
    """Whether every member of ``<artifacts>/.bundle`` is linked where the steps read it."""
    root = artifacts / BUNDLE_DIR
    try:
        return all(
            os.path.samefile(root / member, _target(artifacts, member))
            for member in manifest.members()
        )
    except OSError:
        return False


def _swap_in(new: Path, current: Path, old: Path) -> None:
    """Make ``new`` the ``.bundle`` folder; the one it replaces goes to ``old``."""
    try:
        current.parent.mkdir(parents=True, exist_ok=True)
        if current.exists():
            current.rename(old)
        new.rename(current)
    except OSError as exc:
        raise ArtifactError(
            f"cannot move the checked bundle to {current}: {exc.strerror or exc}",
            f"check that {current.parent} is writable and on the same file system as the work dir",
        ) from exc


@contextlib.contextmanager
def _stage_dir(parent: Path) -> Iterator[Path]:
    """A fresh folder in ``parent`` (the work dir), removed with its content at the end."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(parent)
        tmp = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}-", dir=parent))
    except OSError as exc:
        raise ArtifactError(
            f"cannot make a staging folder in {parent}: {exc.strerror or exc}",
            f"check that {parent} is writable",
        ) from exc
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _remove_abandoned(parent: Path) -> None:
    """Remove staging folders left by killed runs: their process id is not running."""
    for folder in parent.glob(f"{STAGE_PREFIX}*"):
        pid = folder.name.removeprefix(STAGE_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
