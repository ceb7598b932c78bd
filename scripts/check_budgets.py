#!/usr/bin/env python3
"""Report code over the size budgets of STYLE.md and marks that resolve nothing.

Checked, per Python file:

* size (under kubexm/, scripts/, bench/): a module over 600 lines, a step file
  (kubexm/step/<area>/*.py) over 200 lines, a function body over 40 lines (decorators, the
  signature and a leading docstring do not count);
* text (those folders and tests/): a line over 100 characters; a TODO, FIXME or XXX mark
  without an issue reference (``TODO(#12): ...`` is fine, a bare mark is not); a
  ``type: ignore`` without an error code and a reason after it on the same line
  (``# type: ignore[code]  # reason``).

Marks are looked for in comments and docstrings only, so a string that merely contains the word
is no finding. A word counts as a mark when it opens the comment or docstring line, or when a
colon or a parenthesis follows it; prose that mentions the word in passing is left alone.

Usage: ``check_budgets.py [--root DIR] [PATH ...]``. PATHs (files or folders, relative to the
root) replace the default folders. Prints one line per finding, ``path:line: message``, and
exits 1 when there is any; a file that does not parse is a finding too. Exits 0 when clean.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MODULE_BUDGET = 600
STEP_FILE_BUDGET = 200
FUNCTION_BUDGET = 40
LINE_LIMIT = 100

SIZE_FOLDERS = ("kubexm", "scripts", "bench")
TEXT_ONLY_FOLDERS = ("tests",)
SKIPPED_PARTS = frozenset({".venv", "__pycache__", ".git", "build", "dist"})
STEP_ROOT = ("kubexm", "step")

MARK_RE = re.compile(r"\b(?P<mark>TODO|FIXME|XXX)\b")
ISSUE_REF_RE = re.compile(r"\(#\d+\)")
IGNORE_RE = re.compile(r"type:\s*ignore")
# The code list, then a second comment with a reason of at least a few visible characters.
GOOD_IGNORE_RE = re.compile(r"type:\s*ignore\[[\w-]+(?:\s*,\s*[\w-]+)*\]\s*#\s*\S.{2,}")


@dataclass(frozen=True, order=True)
class Finding:
    """One budget or mark violation, printed as ``path:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


REGISTERS_STEP_RE = re.compile(r"^@register_step\b", re.M)


def is_step_file(relative: Path, source: str) -> bool:
    """Whether *relative* is a step file: ``kubexm/step/<area>/<name>.py`` registering a step.

    Helpers beside the steps of an area (renderers, rule tables) are held to the module budget.
    """
    parts = relative.parts
    in_area = len(parts) >= 4 and parts[:2] == STEP_ROOT
    return in_area and REGISTERS_STEP_RE.search(source) is not None


def check_sizes(relative: Path, source: str, tree: ast.Module) -> list[Finding]:
    """Findings for the module, step file and function-body budgets."""
    name = relative.as_posix()
    findings: list[Finding] = []
    line_count = len(source.splitlines())
    if is_step_file(relative, source) and line_count > STEP_FILE_BUDGET:
        message = f"step file has {line_count} lines (budget {STEP_FILE_BUDGET})"
        findings.append(Finding(name, 1, message))
    elif line_count > MODULE_BUDGET:
        message = f"module has {line_count} lines (budget {MODULE_BUDGET})"
        findings.append(Finding(name, 1, message))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = body_length(node)
            if length > FUNCTION_BUDGET:
                message = (
                    f"function {node.name!r} body has {length} lines (budget {FUNCTION_BUDGET})"
                )
                findings.append(Finding(name, node.lineno, message))
    return findings


def body_length(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from the first statement after the docstring to the end of the function."""
    body = node.body
    if ast.get_docstring(node, clean=False) is not None:
        body = body[1:]
    if not body:
        return 0
    end = node.end_lineno if node.end_lineno is not None else body[-1].lineno
    return end - body[0].lineno + 1


def check_line_lengths(relative: Path, source: str) -> list[Finding]:
    """Findings for lines longer than the limit (counted in characters)."""
    name = relative.as_posix()
    return [
        Finding(name, number, f"line has {len(line)} characters (limit {LINE_LIMIT})")
        for number, line in enumerate(source.splitlines(), start=1)
        if len(line) > LINE_LIMIT
    ]


def comments(source: str) -> Iterator[tuple[int, str]]:
    """Yield ``(line, text)`` for every comment; stops quietly at a tokenize error."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    try:
        for token in tokens:
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.string
    except (tokenize.TokenError, SyntaxError):
        return


def docstrings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Yield ``(line, text)`` for every line of every module, class and function docstring."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        text = ast.get_docstring(node, clean=False)
        if text is None:
            continue
        start = node.body[0].lineno
        for offset, line in enumerate(text.splitlines()):
            yield start + offset, line


def is_unreferenced_mark(text: str, match: re.Match[str]) -> bool:
    """Whether the word *match* found in *text* is a mark lacking ``(#<issue>)``."""
    after = text[match.end() :]
    if ISSUE_REF_RE.match(after):
        return False
    opens_line = not text[: match.start()].strip(" \t#*-")
    return opens_line or after[:1] in (":", "(")


def check_marks(relative: Path, source: str, tree: ast.Module) -> list[Finding]:
    """Findings for TODO marks without an issue and for unexplained ``type: ignore``."""
    name = relative.as_posix()
    findings: list[Finding] = []
    texts = [*comments(source), *docstrings(tree)]
    for line, text in texts:
        for match in MARK_RE.finditer(text):
            if is_unreferenced_mark(text, match):
                mark = match.group("mark")
                message = f"{mark} without an issue reference (write {mark}(#<issue>): ...)"
                findings.append(Finding(name, line, message))
    for line, text in comments(source):
        if IGNORE_RE.search(text) and not GOOD_IGNORE_RE.search(text):
            message = "type: ignore needs an error code and a reason: # type: ignore[code]  # why"
            findings.append(Finding(name, line, message))
    return findings


def check_file(root: Path, path: Path, *, sizes: bool) -> list[Finding]:
    """All findings for one file; *sizes* selects the size budgets besides the text checks."""
    relative = path.relative_to(root)
    try:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        return [Finding(relative.as_posix(), line, f"cannot parse: {exc}")]
    findings = check_line_lengths(relative, source) + check_marks(relative, source, tree)
    if sizes:
        findings += check_sizes(relative, source, tree)
    return findings


def python_files(root: Path, target: str) -> Iterator[Path]:
    """Python files under *target* (a file or folder relative to *root*), sorted, if any."""
    base = root / target
    if base.is_file() and base.suffix == ".py":
        yield base
        return
    if not base.is_dir():
        return
    for path in sorted(base.rglob("*.py")):
        if not SKIPPED_PARTS.intersection(path.relative_to(root).parts):
            yield path


def run(root: Path, targets: Iterable[str] | None = None) -> list[Finding]:
    """Findings over *targets*, or over the default folders when None; sorted by place."""
    findings: list[Finding] = []
    if targets is not None:
        chosen = [(target, not target.startswith(TEXT_ONLY_FOLDERS)) for target in targets]
    else:
        chosen = [(folder, True) for folder in SIZE_FOLDERS]
        chosen += [(folder, False) for folder in TEXT_ONLY_FOLDERS]
    for target, sizes in chosen:
        for path in python_files(root, target):
            findings += check_file(root, path, sizes=sizes)
    return sorted(findings)


def main(argv: list[str] | None = None) -> int:
    """Print findings, one a line; return 1 when there is any, else 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="project root (default .)")
    parser.add_argument("paths", nargs="*", help="files or folders relative to the root")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    findings = run(root, args.paths or None)
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
