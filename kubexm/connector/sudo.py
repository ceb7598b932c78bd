"""Deciding, once per connection, how ``sudo`` works for the login user, and saying why not.

The probe runs ``sudo -n true`` (never waits for a person). When sudo wants a password and one
is configured, the password is checked once with ``sudo -k -S -p '' true`` fed on stdin. A
first sudo slower than ``SLOW_SUDO_SECONDS`` leaves a warning in the connection's diagnostics:
it is nearly always sudo resolving the host's own name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from kubexm.connector.base import Result
from kubexm.connector.commands import SudoMode, sudo_prefix
from kubexm.errors import AuthError, ConnectError

log = logging.getLogger("kubexm.connector")

SLOW_SUDO_SECONDS = 2.0

RawRun = Callable[[str, bytes | None], Awaitable[Result]]

_NOPASSWD_HINT = (
    "set a sudo password for the host (sudoPassword or password), or allow the user "
    "without one: '<user> ALL=(ALL) NOPASSWD: ALL' in /etc/sudoers.d/"
)


def _has(result: Result, *needles: str) -> bool:
    text = (result.stderr + result.stdout).lower()
    return any(n in text for n in needles)


def _refusal(host: str, user: str, result: Result) -> ConnectError | None:
    """The error for a sudo that cannot work at all for this user, else None."""
    if result.exit_status == 127 or _has(result, "sudo: not found", "command not found"):
        return ConnectError(
            host,
            "sudo is not installed",
            "install sudo on the host or log in as root",
        )
    if _has(result, "not in the sudoers", "is not allowed to", "may not run sudo"):
        return ConnectError(
            host,
            f"user {user} may not use sudo",
            f"add {user} to /etc/sudoers.d/ or log in as root",
        )
    return None


def slow_sudo_warning(host: str, seconds: float) -> str | None:
    """A warning with the usual remedy when the first sudo took too long, else None."""
    if seconds <= SLOW_SUDO_SECONDS:
        return None
    return (
        f"[{host}] sudo took {seconds:.1f}s (over {SLOW_SUDO_SECONDS:g}s): sudo is probably "
        "resolving the host's own name; add the hostname to /etc/hosts or set "
        "'Defaults !fqdn' in /etc/sudoers"
    )


async def probe_sudo(
    run_raw: RawRun, host: str, user: str, password: str | None
) -> tuple[SudoMode, float]:
    """Return how to elevate and how long the first successful sudo took.

    Raises ``ConnectError`` when sudo is missing, refuses the user, or needs a password and
    none is configured; ``AuthError`` when the configured password is rejected.
    """
    start = time.monotonic()
    result = await run_raw(sudo_prefix(SudoMode.NOPASSWD) + "true", None)
    elapsed = time.monotonic() - start
    if result.ok:
        return SudoMode.NOPASSWD, elapsed
    refusal = _refusal(host, user, result)
    if refusal:
        raise refusal
    if not _has(result, "password is required"):
        raise ConnectError(host, f"sudo failed: {result.stderr.strip()}", _NOPASSWD_HINT)
    if password is None:
        raise ConnectError(
            host, f"sudo needs a password for {user} and none is configured", _NOPASSWD_HINT
        )
    return SudoMode.PASSWORD, await _check_password(run_raw, host, user, password)


async def _check_password(run_raw: RawRun, host: str, user: str, password: str) -> float:
    start = time.monotonic()
    line = f"{password}\n".encode()
    result = await run_raw(sudo_prefix(SudoMode.PASSWORD) + "true", line)
    elapsed = time.monotonic() - start
    if result.ok:
        return elapsed
    refusal = _refusal(host, user, result)
    if refusal:
        raise refusal
    if _has(result, "incorrect password", "sorry, try again", "authentication failure"):
        raise AuthError(
            host,
            f"sudo rejected the password of {user}",
            "check the host's sudoPassword (or password) in the config",
        )
    raise ConnectError(host, "sudo with password failed", _NOPASSWD_HINT)
