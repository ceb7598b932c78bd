"""``kubexm config sample | validate | schema``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kubexm.apis.schema import json_schema
from kubexm.cmd.output import print_json
from kubexm.cmd.state import OutputFormat, get_state
from kubexm.config import load
from kubexm.config.sample import SampleKind, render_sample
from kubexm.errors import UsageError

config_app = typer.Typer(
    help="Start a config, check it, or print its JSON Schema.", no_args_is_help=True
)


@config_app.command("sample")
def sample(
    minimal: Annotated[bool, typer.Option("--minimal", help="Smallest valid config.")] = False,
    ha: Annotated[bool, typer.Option("--ha", help="Three masters behind kubexm-kh.")] = False,
    all_fields: Annotated[bool, typer.Option("--all", help="Every section, commented.")] = False,
) -> None:
    """Print a commented config that validates as it is (default: --minimal)."""
    kinds: list[SampleKind] = ["minimal", "ha", "all"]
    chosen = [kind for kind, flag in zip(kinds, (minimal, ha, all_fields), strict=True) if flag]
    if len(chosen) > 1:
        raise UsageError("choose one of --minimal, --ha and --all", "drop the extra flags")
    sys.stdout.write(render_sample(chosen[0] if chosen else "minimal"))


@config_app.command("validate")
def validate(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Option("--config", "-f", help="Config file, or - to read standard input.")
    ],
    allow_unsupported: Annotated[
        bool,
        typer.Option("--allow-unsupported", help="Accept a Kubernetes version outside the BOM."),
    ] = False,
) -> None:
    """Check a config; exit 0 when valid, 2 with every problem listed when not."""
    state = get_state(ctx)
    path = Path(file)
    # Pipes and /dev/stdin are fine (``-f <(kubexm config sample)``); a directory is not.
    if file != "-" and not path.exists():
        raise UsageError(
            f"config file not found: {file}", "pass an existing file with -f, or - for stdin"
        )
    if path.is_dir():
        raise UsageError(f"{file} is a directory", "pass the config file itself with -f")
    loaded = load(file, allow_unsupported=allow_unsupported)
    cluster = loaded.cluster
    if state.output is OutputFormat.json:
        print_json({"ok": True, "name": cluster.metadata.name, "warnings": loaded.warnings})
        return
    for warning in loaded.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    count = len(cluster.spec.hosts)
    plural = "" if count == 1 else "s"
    typer.echo(f"config is valid: cluster {cluster.metadata.name}, {count} host{plural}")


@config_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the config, for editors and CI linters."""
    print_json(json_schema())
