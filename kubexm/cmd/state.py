"""Global command-line options, shared by every command through the typer context."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import typer


class OutputFormat(StrEnum):
    """How results are printed: a human table or machine-readable JSON."""

    table = "table"
    json = "json"


@dataclass
class CLIState:
    """Options given before the command name (``kubexm -v -o json config validate ...``)."""

    verbose: bool = False
    yes: bool = False
    output: OutputFormat = OutputFormat.table


def get_state(ctx: typer.Context) -> CLIState:
    """The global options of this invocation (defaults when the callback did not run)."""
    root = ctx.find_root()
    if isinstance(root.obj, CLIState):
        return root.obj
    state = CLIState()
    root.obj = state
    return state
