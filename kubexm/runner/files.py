"""Files and directories on a host: facts (``get_file_state``, ``read_file``) and end states.

Every ``ensure_*`` compares first (one probe: type, mode, owner, sha256) and writes only when
something differs, so a second run reports ``unchanged`` and transfers nothing.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass

import jinja2

from kubexm.errors import KubexmError
from kubexm.runner.host import Host, OpResult
from kubexm.util.hashing import sha256_bytes
from kubexm.util.shell import quote

_KINDS = {
    "regular file": "file",
    "regular empty file": "file",
    "directory": "dir",
    "symbolic link": "link",
}


@dataclass(frozen=True)
class FileState:
    """What is at a path. ``kind`` is ``absent``, ``file``, ``dir``, ``link`` or ``other``.

    ``sha256`` is set for regular files (and links to them), ``target`` for links.
    """

    kind: str
    mode: int | None = None
    owner: str | None = None
    group: str | None = None
    sha256: str | None = None
    target: str | None = None

    @property
    def exists(self) -> bool:
        return self.kind != "absent"

    def owned_by(self, owner: str | None) -> bool:
        """True when ``owner`` (``user`` or ``user:group``; None = any) matches."""
        if owner is None:
            return True
        user, _, group = owner.partition(":")
        return self.owner == user and (not group or self.group == group)


def probe_command(path: str) -> str:
    """The one command whose output ``parse_probe`` reads (no redirections; check=False)."""
    p = quote(path)
    return f"stat -c '%a %U %G %F' -- {p}; sha256sum -- {p}; readlink -- {p}"


def parse_probe(stdout: str) -> FileState:
    """Parse the output of ``probe_command``: empty output means the path is absent."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        return FileState("absent")
    mode, owner, group, kind_text = lines[0].split(" ", 3)
    kind = _KINDS.get(kind_text, "other")
    digest = None
    target = None
    for line in lines[1:]:
        head = line.split(" ", 1)[0]
        if len(head) == 64 and all(c in "0123456789abcdef" for c in head):
            digest = head
        elif kind == "link":
            target = line.strip()
    return FileState(kind, int(mode, 8), owner, group, digest, target)


async def get_file_state(host: Host, path: str) -> FileState:
    """Type, mode, owner, sha256 and link target of ``path`` in one round trip."""
    result = await host.run(probe_command(path), check=False)
    return parse_probe(result.stdout)


async def file_exists(host: Host, path: str) -> bool:
    """True when anything (file, directory, link) is at ``path``."""
    return await host.test(f"test -e {quote(path)} -o -L {quote(path)}")


async def read_file(host: Host, path: str) -> str:
    """The text of ``path``. Raises ``CommandError`` when it cannot be read."""
    result = await host.run(f"cat -- {quote(path)}")
    return result.stdout


async def get_sha256(host: Host, path: str) -> str | None:
    """The sha256 of the file at ``path``, or None when there is no regular file."""
    return (await get_file_state(host, path)).sha256


def render_template(source: str, context: Mapping[str, object]) -> str:
    """Render Jinja2 ``source`` with ``StrictUndefined``.

    Raises ``KubexmError`` naming the missing variable or syntax error, never a traceback.
    """
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    try:
        return env.from_string(source).render(**context)
    except jinja2.TemplateError as exc:
        raise KubexmError(
            f"cannot render template: {exc}",
            hint="pass every variable the template uses (a kubexm bug if it is built in)",
        ) from exc


async def ensure_file(
    host: Host,
    path: str,
    content: str | bytes,
    *,
    mode: int = 0o644,
    owner: str | None = None,
) -> OpResult:
    """``path`` holds exactly ``content`` with ``mode`` (and ``owner`` when given).

    Creates missing parent directories. Unchanged when sha256, mode and owner already match.
    Raises ``TransferError``/``CommandError`` when the write fails.
    """
    data = content.encode() if isinstance(content, str) else content
    state = await get_file_state(host, path)
    if (
        state.kind == "file"
        and state.sha256 == sha256_bytes(data)
        and state.mode == mode
        and state.owned_by(owner)
    ):
        return OpResult.unchanged(f"{path} up to date")

    async def write() -> None:
        if not state.exists:
            await host.run(f"mkdir -p -- {quote(posixpath.dirname(path) or '/')}")
        await host.put(data, path, mode=mode, owner=owner)

    return await host.change(f"write {path}", write)


async def ensure_template(
    host: Host,
    path: str,
    source: str,
    context: Mapping[str, object],
    *,
    mode: int = 0o644,
    owner: str | None = None,
) -> OpResult:
    """``path`` holds ``source`` rendered with ``context`` (see ``render_template``)."""
    return await ensure_file(host, path, render_template(source, context), mode=mode, owner=owner)


async def ensure_directory(
    host: Host, path: str, *, mode: int = 0o755, owner: str | None = None
) -> OpResult:
    """``path`` is a directory with ``mode`` (and ``owner``); parents are created.

    Raises ``CommandError`` when something that is not a directory is in the way.
    """
    state = await get_file_state(host, path)
    if state.kind == "dir" and state.mode == mode and state.owned_by(owner):
        return OpResult.unchanged(f"{path} up to date")
    p = quote(path)
    cmd = f"mkdir -p -- {p} && chmod {mode:o} -- {p}"
    if owner is not None:
        cmd += f" && chown {quote(owner)} -- {p}"
    verb = "create directory" if state.kind == "absent" else "set mode/owner of"
    return await host.execute(f"{verb} {path}", cmd)


async def ensure_absent(host: Host, path: str) -> OpResult:
    """Nothing is at ``path`` (a directory is removed with its content)."""
    state = await get_file_state(host, path)
    if not state.exists:
        return OpResult.unchanged(f"{path} absent")
    return await host.execute(f"remove {path}", f"rm -rf -- {quote(path)}")


async def ensure_symlink(host: Host, link: str, target: str) -> OpResult:
    """``link`` is a symbolic link pointing at ``target`` (replacing a file or another link)."""
    state = await get_file_state(host, link)
    if state.kind == "link" and state.target == target:
        return OpResult.unchanged(f"{link} -> {target}")
    if state.kind == "dir":
        raise KubexmError(
            f"[{host.name}] cannot create link {link}: a directory is in the way",
            hint=f"remove the directory {link} on the host or choose another link path",
        )
    cmd = f"ln -sfn -- {quote(target)} {quote(link)}"
    return await host.execute(f"link {link} -> {target}", cmd)


async def ensure_attributes(
    host: Host, path: str, *, mode: int | None = None, owner: str | None = None
) -> OpResult:
    """The existing ``path`` has ``mode`` and/or ``owner``. Raises when it is missing."""
    state = await get_file_state(host, path)
    if not state.exists:
        raise KubexmError(
            f"[{host.name}] cannot set mode/owner of {path}: it does not exist",
            hint="create the file or directory first",
        )
    cmds: list[str] = []
    if mode is not None and state.mode != mode:
        cmds.append(f"chmod {mode:o} -- {quote(path)}")
    if not state.owned_by(owner) and owner is not None:
        cmds.append(f"chown {quote(owner)} -- {quote(path)}")
    if not cmds:
        return OpResult.unchanged(f"{path} attributes up to date")
    return await host.execute(f"set mode/owner of {path}", " && ".join(cmds))
