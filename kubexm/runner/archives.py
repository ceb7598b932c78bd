"""Extracting archives already on the host (tar, tar.gz/tgz, tar.xz, tar.bz2, zip).

Idempotent through a marker under /var/lib/kubexm/extracted: it records the archive's sha256
and what was asked (destination, members, strip), so the same archive is not extracted twice
and a new version of it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubexm.errors import KubexmError
from kubexm.runner.host import Host, OpResult
from kubexm.util.hashing import sha256_text
from kubexm.util.shell import join, quote

MARKER_DIR = "/var/lib/kubexm/extracted"
_TAR_FLAGS = {
    ".tar.gz": "-xzf",
    ".tgz": "-xzf",
    ".tar.xz": "-xJf",
    ".txz": "-xJf",
    ".tar.bz2": "-xjf",
    ".tbz2": "-xjf",
    ".tar": "-xf",
}


def extract_command(
    archive: str, dest: str, members: Sequence[str] = (), strip_components: int = 0
) -> str:
    """The command extracting ``members`` (all when empty) of ``archive`` into ``dest``.

    Raises ``KubexmError`` for an archive type kubexm does not know.
    """
    if archive.endswith(".zip"):
        if strip_components:
            raise KubexmError(
                f"cannot strip path components from zip archive {archive}",
                hint="extract the zip whole and link or copy the files needed",
            )
        return join(["unzip", "-o", "-q", archive, *members, "-d", dest])
    for suffix, flag in _TAR_FLAGS.items():
        if archive.endswith(suffix):
            strip = [f"--strip-components={strip_components}"] if strip_components else []
            return join(["tar", flag, archive, "-C", dest, "--no-same-owner", *strip, *members])
    raise KubexmError(
        f"unknown archive type: {archive}",
        hint="kubexm extracts .tar, .tar.gz/.tgz, .tar.xz, .tar.bz2 and .zip files",
    )


def marker_path(archive: str, dest: str) -> str:
    """Where the marker for extracting ``archive`` into ``dest`` lives."""
    key = sha256_text(f"{archive}\0{dest}")
    return f"{MARKER_DIR}/{key[:24]}"


async def ensure_extracted(
    host: Host,
    archive: str,
    dest: str,
    *,
    members: Sequence[str] = (),
    strip_components: int = 0,
    timeout: float = 600.0,
) -> OpResult:
    """``dest`` holds the content of ``archive`` (or just ``members`` of it).

    Unchanged when the marker says this very archive content was extracted the same way and
    the members are still present. Raises ``CommandError`` when the archive is missing or
    corrupt, ``KubexmError`` for an unknown type.
    """
    extract = extract_command(archive, dest, members, strip_components)
    marker = marker_path(archive, dest)
    probe = f"sha256sum -- {quote(archive)}; cat -- {quote(marker)}"
    out = (await host.run(probe, check=False)).stdout.split()
    if not out or len(out[0]) != 64:
        raise KubexmError(
            f"[{host.name}] archive {archive} is not on the host",
            hint="upload the archive before extracting it",
        )
    stamp = sha256_text(f"{out[0]}\0{extract}")
    present = [f"{dest}/{m.split('/', strip_components)[-1]}" for m in members]
    if stamp in out[1:] and await _all_exist(host, present):
        return OpResult.unchanged(f"{archive} already extracted")
    cmd = (
        f"mkdir -p -- {quote(dest)} {quote(MARKER_DIR)} && {extract} && "
        f"printf '%s\\n' {quote(stamp)} > {quote(marker)}"
    )
    return await host.execute(f"extract {archive} to {dest}", cmd, timeout=timeout)


async def _all_exist(host: Host, paths: Sequence[str]) -> bool:
    if not paths:
        return True
    return await host.test(" && ".join(f"test -e {quote(p)}" for p in paths))
