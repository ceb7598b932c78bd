"""``put`` and ``get`` built from primitives every transport has: run a command, and plain
file operations as the login user (exists, make folders, write, read, chmod-and-rename).

``put`` compares sha256, mode and owner first and transfers nothing when they match (a target
that does not exist yet is found without hashing the source). It writes to a temporary name and
renames, so a reader never sees half a file. As root, or without sudo, the temporary file sits
beside the target, and a target that does not exist yet costs no shell command to check; with
sudo as another user, the file is staged in /tmp (mode 0600, owned by that
user) and moved into place by ``sudo install``.
"""

from __future__ import annotations

import asyncio
import logging
import posixpath
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import asyncssh

from kubexm.connector.base import Result
from kubexm.errors import KubexmError, TransferError
from kubexm.util.hashing import sha256_bytes, sha256_file
from kubexm.util.shell import quote

_STAGE_DIR = "/tmp"

log = logging.getLogger("kubexm.connector")


class FileOps(Protocol):
    """What a transport offers ``put``/``get``; the files are the login user's own."""

    host: str
    user: str
    is_root: bool

    async def run(
        self, cmd: str, *, sudo: bool = False, check: bool = True, timeout: float | None = None
    ) -> Result: ...

    async def upload_file(self, src: Path | bytes, path: str) -> None: ...

    async def download_file(self, path: str, local: Path) -> None: ...

    async def exists(self, path: str) -> bool: ...

    async def make_dirs(self, path: str) -> None: ...

    async def place(self, tmp: str, path: str, mode: int) -> None: ...


@dataclass(frozen=True)
class RemoteState:
    """What a remote file is now; ``owner`` is ``user:group``."""

    sha256: str
    mode: int
    owner: str

    def matches(self, sha256: str, mode: int, owner: str | None) -> bool:
        return self.sha256 == sha256 and self.mode == mode and owner_matches(self.owner, owner)


def owner_matches(current: str, wanted: str | None) -> bool:
    """``wanted`` is ``user`` or ``user:group``; None means any owner is fine."""
    if wanted is None:
        return True
    if ":" in wanted:
        return current == wanted
    return current.split(":", 1)[0] == wanted


def local_sha256(src: Path | bytes) -> str:
    """sha256 of bytes or of a local file (read in chunks). Raises ``OSError``."""
    return sha256_bytes(src) if isinstance(src, bytes) else sha256_file(src)


def state_command(remote: str) -> str:
    """Report mode, owner and sha256 of ``remote`` if it exists, after making sure its folder
    does (harmless when the file is there; needed before an upload when it is not)."""
    path, folder = quote(remote), quote(posixpath.dirname(remote) or ".")
    return (
        f"mkdir -p -- {folder} && if [ -f {path} ]; then "
        f"stat -c '%a %U:%G' -- {path} && sha256sum -- {path}; fi"
    )


def parse_state(stdout: str) -> RemoteState | None:
    """Parse the output of ``state_command``; None when the file does not exist."""
    lines = stdout.split("\n")
    if len(lines) < 2 or not lines[0].strip():
        return None
    mode, owner = lines[0].split()
    return RemoteState(sha256=lines[1].split()[0], mode=int(mode, 8), owner=owner)


def finalize_command(tmp: str, remote: str, mode: int, owner: str | None, staged: bool) -> str:
    """Move the uploaded temporary file into place with its mode and owner.

    A staged file is copied by ``install`` (root-owned unless ``owner`` says otherwise) to a
    name beside the target, then renamed, so the final step is atomic in both cases.
    """
    src, dst = quote(tmp), quote(remote)
    octal = f"{mode:o}"
    if staged:
        user, _, group = (owner or "root:root").partition(":")
        ids = f"-o {quote(user)}" + (f" -g {quote(group)}" if group else "")
        nxt = quote(f"{remote}.kubexm-new")
        return f"install -m {octal} {ids} -- {src} {nxt} && mv -f -- {nxt} {dst}"
    chown = f"chown -- {quote(owner)} {src} && " if owner else ""
    return (
        f"{{ chmod {octal} -- {src} && {chown}mv -f -- {src} {dst}; }} "
        f"|| {{ rm -f -- {src}; exit 1; }}"
    )


def temp_name(remote: str, staged: bool) -> str:
    token = uuid.uuid4().hex[:12]
    if staged:
        return f"{_STAGE_DIR}/.kubexm-{token}"
    folder, base = posixpath.split(remote)
    return posixpath.join(folder or ".", f".{base}.kubexm-{token}")


async def put(
    ops: FileOps, src: Path | bytes, remote: str, *, mode: int, owner: str | None, sudo: bool
) -> bool:
    """Copy ``src`` to ``remote``; see ``Connection.put``. Raises ``TransferError``."""
    staged = sudo and not ops.is_root
    tmp = temp_name(remote, staged)
    try:
        if await _unchanged(ops, src, remote, mode=mode, owner=owner, sudo=sudo):
            return False
        try:
            await ops.upload_file(src, tmp)
            if staged or owner:
                await ops.run(finalize_command(tmp, remote, mode, owner, staged), sudo=sudo)
            else:
                await ops.place(tmp, remote, mode)
        except BaseException:
            if not staged:
                await _remove_quietly(ops, tmp)
            raise
        finally:
            if staged:
                await _remove_quietly(ops, tmp)
    except (KubexmError, OSError, asyncssh.Error) as exc:
        raise _transfer_error(ops.host, f"upload to {remote}", exc) from exc
    return True


async def _unchanged(
    ops: FileOps, src: Path | bytes, remote: str, *, mode: int, owner: str | None, sudo: bool
) -> bool:
    """Whether ``remote`` already has the content, mode and owner of ``src``.

    With direct access a missing target is found by a file-system call instead of a command,
    its folder is made, and ``src`` is not hashed at all (a first upload reads it only once).
    Otherwise the local and the remote sha256 are computed at the same time.
    """
    if not (sudo and not ops.is_root) and not await ops.exists(remote):
        await ops.make_dirs(posixpath.dirname(remote) or ".")
        return False
    digest, result = await asyncio.gather(
        asyncio.to_thread(local_sha256, src), ops.run(state_command(remote), sudo=sudo)
    )
    current = parse_state(result.stdout)
    return current is not None and current.matches(digest, mode, owner)


async def get(ops: FileOps, remote: str, local: Path, *, sudo: bool) -> None:
    """Copy ``remote`` to ``local`` (atomically on this side). Raises ``TransferError``."""
    staged = sudo and not ops.is_root
    source = temp_name(remote, staged) if staged else remote
    partial = local.with_name(f".{local.name}.kubexm-{uuid.uuid4().hex[:12]}")
    try:
        local.parent.mkdir(parents=True, exist_ok=True)
        try:
            if staged:
                copy = f"install -m 600 -o {quote(ops.user)} -- {quote(remote)} {quote(source)}"
                await ops.run(copy, sudo=True)
            await ops.download_file(source, partial)
            partial.replace(local)
        finally:
            if staged:
                await _remove_quietly(ops, source)
            partial.unlink(missing_ok=True)
    except (KubexmError, OSError, asyncssh.Error) as exc:
        raise _transfer_error(ops.host, f"download of {remote}", exc) from exc


async def _remove_quietly(ops: FileOps, path: str) -> None:
    """Best-effort removal of a staged file; a failure here must not hide the real outcome."""
    try:
        await ops.run(f"rm -f -- {quote(path)}", check=False)
    except KubexmError as exc:
        log.debug("[%s] could not remove %s: %s", ops.host, path, exc)


def _transfer_error(host: str, what: str, exc: BaseException) -> TransferError:
    reason = getattr(exc, "message", None) or getattr(exc, "reason", None) or str(exc)
    return TransferError(
        f"[{host}] {what} failed: {reason}",
        "check the path, its permissions and the free space on the host",
    )
