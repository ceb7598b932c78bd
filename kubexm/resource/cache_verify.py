"""Check the artifact cache against the pinned digests, hashing each file once per change.

A run takes its release files from ``<work dir>/<cluster>/artifacts``; a file there was put
by ``kubexm download``, staged from a bundle, or changed by hand since. ``check_cached_files``
compares every cached file a run needs with its pinned sha256 before the run uses it.

Hashing is cheap but not free: 500 MB of release files take about 0.5 s with a warm page
cache and about 1 s cold (sha256 near 1 GB/s, disk near 600 MB/s on the machine measured;
slower disks and small boards take several times that). So each digest is kept in
``<artifacts>/.verified.json`` with the size, mtime and inode the file had when it was
hashed, and a later run hashes again only a file whose stat changed. The record guards
against accidents and stale files, not against someone who can write the work dir (they could
rewrite the record too). A file staged from a bundle as a ``stand-in`` is recorded with that
label and stands in for its pin only when the caller allows stand-ins.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubexm.errors import ArtifactError
from kubexm.resource.bundle_manifest import LABELS, STANDIN_HINT, Label
from kubexm.resource.model import FileArtifact
from kubexm.util.hashing import sha256_file

log = logging.getLogger(__name__)

RECORD_NAME = ".verified.json"
_RECORD_VERSION = 1
Stamp = tuple[int, int, int]  # size, mtime_ns, inode


@dataclass(frozen=True)
class Seen:
    """What a file held when it was last hashed, and the stat it had then."""

    sha256: str
    label: Label
    stamp: Stamp


def _stamp(path: Path) -> Stamp:
    stat = path.stat()
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)


class DigestRecord:
    """Verified digests of the files under one artifact cache, keyed by their relative path.

    Changes stay in memory until ``save``; a dry run never calls it.
    """

    def __init__(self, root: Path, entries: dict[str, Seen] | None = None) -> None:
        self.root = root
        self._entries = dict(entries or {})
        self._changed = False

    @classmethod
    def load(cls, root: Path) -> DigestRecord:
        """The record of ``root``; empty when absent or unreadable (files are hashed again)."""
        try:
            data = json.loads((root / RECORD_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(root)
        return cls(root, _parse(data))

    def confirm(self, rel: str) -> Seen:
        """The content of ``root/rel``: as recorded while its stat is unchanged, else hashed
        now and recorded (keeping the label when the content is the recorded one).

        Raises ``OSError`` when the file cannot be read (``FileNotFoundError`` when absent).
        """
        path = self.root / rel
        stamp = _stamp(path)
        known = self._entries.get(rel)
        if known is not None and known.stamp == stamp:
            return known
        digest = sha256_file(path)
        same = known is not None and known.sha256 == digest
        label: Label = known.label if known is not None and same else "upstream"
        return self._set(rel, Seen(digest, label, stamp))

    def put(self, rel: str, sha256: str, label: Label) -> None:
        """Record ``rel`` as holding ``sha256``, which the caller has just verified.

        Raises ``OSError`` when the file cannot be read.
        """
        self._set(rel, Seen(sha256, label, _stamp(self.root / rel)))

    def forget(self, prefix: str) -> None:
        """Drop every entry whose path starts with ``prefix``."""
        stale = [rel for rel in self._entries if rel.startswith(prefix)]
        for rel in stale:
            del self._entries[rel]
        self._changed = self._changed or bool(stale)

    def save(self) -> None:
        """Write the record when it changed: a temporary file renamed over the old one.

        An unwritable cache is logged and skipped: the record only saves hashing time.
        """
        if not self._changed:
            return
        files = {rel: [s.sha256, s.label, *s.stamp] for rel, s in sorted(self._entries.items())}
        text = json.dumps({"version": _RECORD_VERSION, "files": files}, indent=1)
        target = self.root / RECORD_NAME
        partial = target.with_name(f"{RECORD_NAME}.{os.getpid()}.part")
        try:
            partial.write_text(text + "\n", encoding="utf-8")
            partial.replace(target)
        except OSError as exc:
            log.warning("cannot record verified digests in %s: %s", target, exc.strerror or exc)
            partial.unlink(missing_ok=True)
            return
        self._changed = False

    def _set(self, rel: str, seen: Seen) -> Seen:
        if self._entries.get(rel) != seen:
            self._entries[rel] = seen
            self._changed = True
        return seen


def _parse(data: Any) -> dict[str, Seen]:
    """Entries of a record file; those not of the expected shape are left out."""
    if not isinstance(data, dict) or data.get("version") != _RECORD_VERSION:
        return {}
    files = data.get("files")
    entries: dict[str, Seen] = {}
    for rel, item in files.items() if isinstance(files, dict) else ():
        if isinstance(item, list) and len(item) == 5 and item[1] in LABELS:
            sha256, label, *stamp = item
            if isinstance(sha256, str) and all(isinstance(n, int) for n in stamp):
                entries[str(rel)] = Seen(sha256, label, (stamp[0], stamp[1], stamp[2]))
    return entries


def check_cached_files(
    artifacts: Path,
    files: Iterable[FileArtifact],
    *,
    allow_standins: bool = False,
    save: bool = True,
) -> tuple[str, ...]:
    """Check each cached file of ``files`` that has a pinned sha256 against its pin; return
    the cache paths of the files recorded as stand-ins, which stood in for their pins.

    A file not in the cache is passed over (the step that needs it says so). With ``save``
    the digests hashed now are recorded; a dry run passes False and writes nothing.
    Raises ``ArtifactError`` listing every file whose content differs from its pin, or that
    cannot be read, and every stand-in when ``allow_standins`` is False.
    """
    record = DigestRecord.load(artifacts)
    wrong: list[str] = []
    standins: list[str] = []
    for artifact in sorted(set(files)):
        pin = (artifact.sha256 or "").lower()
        try:
            seen = record.confirm(artifact.cache_path) if pin else None
        except FileNotFoundError:
            continue
        except OSError as exc:
            wrong.append(f"{artifact.cache_path}: cannot be read ({exc.strerror or exc})")
            continue
        if seen is None or seen.sha256 == pin:
            continue
        if seen.label == "stand-in":
            standins.append(artifact.cache_path)
        else:
            wrong.append(
                f"{artifact.cache_path}: sha256 {seen.sha256} differs from the pinned {pin}"
            )
    if save:
        record.save()
    if wrong:
        raise _differs(artifacts, wrong)
    if standins and not allow_standins:
        raise _standins_refused(artifacts, standins)
    return tuple(standins)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _differs(artifacts: Path, wrong: list[str]) -> ArtifactError:
    lines = "".join(f"\n  {line}" for line in wrong)
    return ArtifactError(
        f"{_plural(len(wrong), 'cached file', 'cached files')} in {artifacts} "
        f"{'does' if len(wrong) == 1 else 'do'} not match the pinned sha256:{lines}",
        "delete them and run `kubexm download -f <config>` again, or stage a checked bundle "
        "with --bundle",
    )


def _standins_refused(artifacts: Path, standins: list[str]) -> ArtifactError:
    lines = "".join(f"\n  {path}" for path in standins)
    return ArtifactError(
        f"{_plural(len(standins), 'cached file is a stand-in', 'cached files are stand-ins')} "
        f"staged from a test bundle into {artifacts}; their pinned digests are not "
        f"checked:{lines}",
        STANDIN_HINT,
    )
