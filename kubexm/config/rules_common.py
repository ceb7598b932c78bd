"""What the rule modules share: the collector of problems and warnings, and small helpers."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubexm.errors import FieldProblem


@dataclass
class Findings:
    """Problems (errors) and warnings collected by the rules, in the order found."""

    allow_unsupported: bool = False
    problems: list[FieldProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, path: str, message: str, hint: str = "") -> None:
        """Record a problem at ``path``."""
        self.problems.append(FieldProblem(path, message, hint))

    def warn(self, path: str, message: str) -> None:
        """Record a warning, shown as ``path: message``."""
        self.warnings.append(f"{path}: {message}" if path else message)


def plural(count: int, noun: str) -> str:
    """``1 master`` / ``3 masters``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
