#!/usr/bin/env python3
"""Check the layering rules of STYLE.md that import-linter cannot see.

* Only ``kubexm/cmd`` and ``kubexm/engine`` log at ERROR level. Elsewhere in ``kubexm/`` these
  are findings: a call ``.error(...)``, ``.exception(...)``, ``.critical(...)`` or
  ``.fatal(...)`` with arguments on a logger; ``.log(level, ...)`` with an ERROR-or-higher
  level; any mention of ``logging.ERROR``/``CRITICAL``/``FATAL`` (or importing those names).
  A logger is a receiver with a name like ``log``, ``logger``, ``_LOG``, ``run_logger``,
  ``logging`` or ``getLogger(...)``: ``policy.error(host)`` builds an exception and is no log
  call, and a zero-argument ``.exception()`` is asyncio's ``Task.exception()``. The logger
  package is the plumbing: it may mention the level constants (to style or route records) and
  forward a level through ``.log(level, ...)`` (its adapter's ``error()`` for cmd and engine),
  but it does not call ``.error(...)`` and friends on a logger itself.
* ``kubexm/py.typed`` exists, so the package ships its annotations (PEP 561).
* Only ``kubexm/cmd`` and ``kubexm/logger`` import ``rich.console``; import-linter sees external
  packages as a whole (``rich``), so this submodule rule lives here. Other rich modules (the
  engine's progress view) are fine.

Usage: ``check_rules.py [--root DIR]``. Prints one line per finding, ``path:line: message``, and
exits 1 when there is any; a file that does not parse is a finding. Exits 0 when clean.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "kubexm"
ERROR_LOGGERS = ("cmd", "engine")
LEVEL_FORWARDERS = ("cmd", "engine", "logger")
CONSOLE_USERS = ("cmd", "logger")

ERROR_METHODS = frozenset({"error", "exception", "critical", "fatal"})
ERROR_LEVELS = frozenset({"ERROR", "CRITICAL", "FATAL"})
ERROR_LEVEL_NUMBER = 40
LOGGER_NAME_RE = re.compile(r"(^|_)(get_?)?log(ger|ging)?$")


@dataclass(frozen=True, order=True)
class Finding:
    """One rule violation, printed as ``path:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def is_level_constant(node: ast.expr) -> bool:
    """Whether *node* is ``logging.ERROR``-or-higher or a literal level number >= 40."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id == "logging" and node.attr in ERROR_LEVELS
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value >= ERROR_LEVEL_NUMBER
    return False


def is_logger(receiver: ast.expr) -> bool:
    """Whether any name in the *receiver* expression looks like a logger's."""
    for node in ast.walk(receiver):
        name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
        if isinstance(name, str) and LOGGER_NAME_RE.search(name.lower().lstrip("_")):
            return True
    return False


def error_method_calls(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Yield ``(line, message)`` for each ``.error(...)``-like call on a logger."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method = node.func.attr
        has_arguments = bool(node.args or node.keywords)
        if method in ERROR_METHODS and has_arguments and is_logger(node.func.value):
            yield node.lineno, f".{method}(...) logs at ERROR level; only cmd and engine may"


def error_level_uses(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Yield ``(line, message)`` for ``.log()`` at ERROR level and for ERROR level names."""
    suffix = "outside cmd and engine (only they log at ERROR)"
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "log" and node.args and is_level_constant(node.args[0]):
                yield node.lineno, ".log() at ERROR level or above; only cmd and engine may"
        elif isinstance(node, ast.Attribute) and is_level_constant(node):
            yield node.lineno, f"logging.{node.attr} {suffix}"
        elif isinstance(node, ast.ImportFrom) and node.module == "logging":
            names = sorted(alias.name for alias in node.names if alias.name in ERROR_LEVELS)
            if names:
                yield node.lineno, f"{', '.join(names)} {suffix}"


def console_imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Yield ``(line, message)`` for each import of ``rich.console``."""
    message = "imports rich.console; only cmd and logger may (take a Console as a parameter)"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(alias.name == "rich.console" for alias in node.names):
                yield node.lineno, message
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            from_rich = node.module == "rich" and any(a.name == "console" for a in node.names)
            if node.module == "rich.console" or from_rich:
                yield node.lineno, message


def check_file(root: Path, path: Path) -> list[Finding]:
    """Findings for one file of the package, according to the subpackage it belongs to."""
    relative = path.relative_to(root)
    name = relative.as_posix()
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        return [Finding(name, line, f"cannot parse: {exc}")]
    area = relative.parts[1] if len(relative.parts) > 2 else ""
    found: list[tuple[int, str]] = []
    if area not in ERROR_LOGGERS:
        found += error_method_calls(tree)
    if area not in LEVEL_FORWARDERS:
        found += error_level_uses(tree)
    if area not in CONSOLE_USERS:
        found += console_imports(tree)
    return [Finding(name, line, message) for line, message in found]


def run(root: Path) -> list[Finding]:
    """Findings over every Python file of the package under *root*, sorted by place."""
    findings: list[Finding] = []
    marker = root / PACKAGE / "py.typed"
    if not marker.is_file():
        message = "missing: the package must ship py.typed (PEP 561)"
        findings.append(Finding(marker.relative_to(root).as_posix(), 1, message))
    for path in sorted((root / PACKAGE).rglob("*.py")):
        if "__pycache__" not in path.parts:
            findings += check_file(root, path)
    return sorted(findings)


def main(argv: list[str] | None = None) -> int:
    """Print findings, one a line; return 1 when there is any, else 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="project root (default .)")
    args = parser.parse_args(argv)
    findings = run(args.root.resolve())
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
