"""``--allow-standins`` and the warning printed when stand-ins were accepted.

A file labelled ``stand-in`` in a bundle (only the test bundle of tests/bundle has any) is not
checked against its pinned digest, and anyone can write that label: every command that reads a
bundle refuses such files unless this flag is given, and says so when it accepted them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

import typer

AllowStandinsOpt = Annotated[
    bool,
    typer.Option(
        "--allow-standins",
        help="accept files labelled stand-in (test bundles only): their pinned digests are "
        "not checked",
    ),
]


def standins_warning(count: int, where: str) -> str:
    """``3 files in the bundle b.tar.gz are labelled stand-in ...``: one line, no newline."""
    files = "1 file" if count == 1 else f"{count} files"
    verb = "is" if count == 1 else "are"
    return (
        f"{files} in {where} {verb} labelled stand-in and accepted (--allow-standins): their "
        "pinned digests are not checked; use such a bundle for tests only"
    )


def warn_standins(standins: Sequence[str], where: str, verbose: bool) -> None:
    """Write the warning to stderr when ``standins`` is not empty; ``verbose`` lists them."""
    if not standins:
        return
    listing = "" if verbose else " (-v lists them)"
    sys.stderr.write(f"warning: {standins_warning(len(standins), where)}{listing}\n")
    for path in standins if verbose else ():
        sys.stderr.write(f"  stand-in: {path}\n")
