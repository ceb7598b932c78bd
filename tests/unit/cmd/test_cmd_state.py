"""Global options reach commands through the typer context."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from kubexm.cmd.state import CLIState, OutputFormat, get_state


def test_get_state_returns_defaults_without_callback() -> None:
    seen: list[CLIState] = []
    app = typer.Typer()

    @app.command()
    def show(ctx: typer.Context) -> None:
        seen.append(get_state(ctx))

    result = CliRunner().invoke(app, [])
    assert result.exit_code == 0
    assert seen == [CLIState(verbose=False, yes=False, output=OutputFormat.table)]


def test_get_state_returns_root_object() -> None:
    seen: list[CLIState] = []
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = CLIState(verbose=True, output=OutputFormat.json)

    @app.command()
    def show(ctx: typer.Context) -> None:
        seen.append(get_state(ctx))

    result = CliRunner().invoke(app, ["show"])
    assert result.exit_code == 0
    assert seen[0].verbose and seen[0].output is OutputFormat.json
