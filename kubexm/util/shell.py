"""Quoting for values placed into shell command strings run on hosts.

Every value that goes into a command string passes through ``quote``; there is no other
sanctioned way (ARCHITECTURE §4).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable

ShellArg = str | int | os.PathLike[str]


def quote(value: ShellArg) -> str:
    """Return ``value`` quoted for a POSIX shell; numbers and paths are converted first.

    Raises ``TypeError`` for a bool, which is almost always a mistake in a command line.
    """
    if isinstance(value, bool):
        raise TypeError("refusing to quote a bool into a shell command; pass a string")
    return shlex.quote(os.fspath(value) if isinstance(value, os.PathLike) else str(value))


def join(args: Iterable[ShellArg]) -> str:
    """Return the arguments quoted and joined by spaces into one command string."""
    return " ".join(quote(arg) for arg in args)
