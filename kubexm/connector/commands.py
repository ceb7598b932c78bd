"""Shell command lines as sent to a host, and what their results mean.

Every command runs through ``sh -c`` so the login shell of the user does not matter. Optional
parts wrap it from the outside in: ``sudo`` (password on stdin only), coreutils ``timeout``
(which kills the command's whole process group on the host, even under sudo), then ``env``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from enum import Enum

from kubexm.connector.base import Result
from kubexm.errors import CommandError, CommandTimeout
from kubexm.util.redact import redact
from kubexm.util.shell import quote

log = logging.getLogger("kubexm.connector")

# Seconds between the TERM sent by `timeout` and the KILL that follows it.
KILL_GRACE = 2
# A local backstop on top of the remote `timeout`, for a host that stops answering.
BACKSTOP_GRACE = KILL_GRACE + 5.0
# Exit statuses of coreutils `timeout` when it stopped the command (TERM, then KILL).
TIMEOUT_STATUSES = frozenset({124, 137})
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SudoMode(Enum):
    """How a command is elevated on a host (decided once per connection)."""

    NONE = "none"  # already root, or no elevation asked for
    NOPASSWD = "nopasswd"
    PASSWORD = "password"


def sudo_prefix(mode: SudoMode) -> str:
    """The sudo words before a command; ``-n`` never lets sudo wait for a person.

    In password mode ``-k`` ignores cached credentials, so sudo always reads exactly one
    password line from stdin and whatever follows it reaches the command untouched.
    """
    if mode is SudoMode.NOPASSWD:
        return "sudo -n -- "
    if mode is SudoMode.PASSWORD:
        return "sudo -k -S -p '' -- "
    return ""


def build_command(
    cmd: str,
    *,
    sudo: SudoMode = SudoMode.NONE,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> str:
    """The full command line for ``cmd``. Raises ValueError for an invalid env name.

    No secret is ever part of it: the sudo password travels on stdin (see ``build_stdin``).
    """
    line = f"sh -c {quote(cmd)}"
    if env:
        pairs = []
        for name, value in env.items():
            if not _ENV_NAME.fullmatch(name):
                raise ValueError(f"invalid environment variable name: {name!r}")
            pairs.append(f"{name}={quote(value)}")
        line = f"env {' '.join(pairs)} {line}"
    if timeout is not None:
        line = f"timeout -k {KILL_GRACE} {timeout:.3f} {line}"
    return sudo_prefix(sudo) + line


def build_stdin(mode: SudoMode, password: str | None, data: str | bytes | None) -> bytes | None:
    """Bytes for the command's stdin: the sudo password line first, then ``data``."""
    payload = data.encode() if isinstance(data, str) else data
    if mode is SudoMode.PASSWORD:
        line = f"{password or ''}\n".encode()
        return line + (payload or b"")
    return payload


def timed_out(exit_status: int, elapsed: float, timeout: float | None) -> bool:
    """Whether a result is `timeout` stopping the command rather than the command's own exit."""
    if timeout is None or exit_status not in TIMEOUT_STATUSES:
        return False
    return elapsed >= timeout * 0.95


def finish(
    host: str,
    cmd: str,
    result: Result,
    *,
    check: bool,
    secrets: Iterable[str],
    elapsed: float,
    timeout: float | None,
) -> Result:
    """Log and vet one result; the output returned and raised is redacted.

    Raises ``CommandTimeout`` when the command was stopped by its timeout, and
    ``CommandError`` for a non-zero exit when ``check`` is set.
    """
    hidden = tuple(s for s in secrets if s)
    shown = redact(cmd, hidden)
    clean = Result(result.exit_status, redact(result.stdout, hidden), redact(result.stderr, hidden))
    log.debug("[%s] exit %s after %.3fs: %s", host, clean.exit_status, elapsed, shown)
    if timeout is not None and timed_out(clean.exit_status, elapsed, timeout):
        raise CommandTimeout(host, shown, timeout)
    if check and not clean.ok:
        raise CommandError(host, shown, clean.exit_status, clean.stdout, clean.stderr)
    return clean
