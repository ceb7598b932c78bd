"""Printing results and errors: the only place that writes to the terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from kubexm.cmd.state import CLIState, OutputFormat
from kubexm.config import LoadedConfig, load
from kubexm.errors import ConfigError, KubexmError


def print_json(data: Any, stream: TextIO | None = None) -> None:
    """Write ``data`` as indented JSON followed by a newline."""
    out = stream or sys.stdout
    out.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def error_lines(error: KubexmError) -> list[str]:
    """One line per problem, each ready to print after ``error: ``."""
    if isinstance(error, ConfigError):
        return [str(problem) for problem in error.problems]
    return [str(error)]


def report_error(state: CLIState, error: KubexmError, stream: TextIO | None = None) -> None:
    """Print an error the way the chosen output format wants it: lines or a JSON object."""
    lines = error_lines(error)
    if state.output is OutputFormat.json:
        print_json({"ok": False, "errors": lines}, stream or sys.stdout)
        return
    err = stream or sys.stderr
    if isinstance(error, ConfigError):
        count = len(lines)
        err.write(f"error: invalid config ({count} problem{'s' if count != 1 else ''}):\n")
        for line in lines:
            err.write(f"  {line}\n")
        return
    for line in lines:
        err.write(f"error: {line}\n")


def load_config(path: str | Path) -> LoadedConfig:
    """Load and validate the config of a command; its warnings (deprecated apiVersion, an even
    number of masters, ...) go to stderr before the command's own output."""
    loaded = load(path)
    for warning in loaded.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    return loaded
