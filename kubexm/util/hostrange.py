"""Host-range patterns such as ``node[1:3]`` or ``10.0.0.[11:13]``.

A pattern holds zero or more ``[start:end]`` ranges of decimal numbers; text around them is
kept. Several ranges expand to their cartesian product, left range outermost. A start with a
leading zero (``[01:10]``) pads every number to the width of that start.
"""

from __future__ import annotations

import itertools
import re

# Keeps a typo such as node[1:1000000] from building a huge list before validation reports it.
MAX_HOSTS = 65536

_RANGE = re.compile(r"\[(\d+):(\d+)\]")


def is_host_range(s: str) -> bool:
    """Return True when ``s`` contains at least one ``[start:end]`` range.

    Only the syntax is checked; ``expand_host_range`` still rejects a range whose start is
    greater than its end.
    """
    return _RANGE.search(s) is not None


def _numbers(start_text: str, end_text: str, pattern: str) -> list[str]:
    start, end = int(start_text), int(end_text)
    if start > end:
        raise ValueError(
            f"invalid host range {pattern!r}: start {start_text} is greater than end {end_text}"
        )
    # Check the size before building anything: node[1:100000000] must not exhaust memory.
    if end - start + 1 > MAX_HOSTS:
        raise ValueError(
            f"invalid host range {pattern!r}: expands to {end - start + 1} hosts,"
            f" more than {MAX_HOSTS}"
        )
    width = len(start_text) if len(start_text) > 1 and start_text.startswith("0") else 0
    return [str(n).zfill(width) for n in range(start, end + 1)]


def _check_literal(text: str, pattern: str) -> None:
    """Reject brackets left over outside well-formed ranges (``node[1-3]``, ``node[1:3``)."""
    if "[" in text or "]" in text:
        raise ValueError(
            f"invalid host range {pattern!r}: expected ranges like name[1:3] or name[01:10]"
        )


def expand_host_range(pattern: str) -> list[str]:
    """Expand ``pattern`` into host names, in ascending order.

    A plain name comes back as ``[name]``. Raises ``ValueError`` when a start is greater than
    its end, when brackets are malformed, when the pattern is empty, or when the expansion would
    exceed ``MAX_HOSTS`` names.
    """
    if not pattern.strip():
        raise ValueError("invalid host range '': the name is empty")
    literals: list[str] = []
    choices: list[list[str]] = []
    pos = 0
    for match in _RANGE.finditer(pattern):
        literals.append(pattern[pos : match.start()])
        choices.append(_numbers(match.group(1), match.group(2), pattern))
        pos = match.end()
    literals.append(pattern[pos:])
    for literal in literals:
        _check_literal(literal, pattern)
    total = 1
    for numbers in choices:
        total *= len(numbers)
    if total > MAX_HOSTS:
        raise ValueError(
            f"invalid host range {pattern!r}: expands to {total} hosts, more than {MAX_HOSTS}"
        )
    return ["".join(_interleave(literals, combo)) for combo in itertools.product(*choices)]


def _interleave(literals: list[str], numbers: tuple[str, ...]) -> list[str]:
    parts = [literals[0]]
    for number, literal in zip(numbers, literals[1:], strict=True):
        parts.extend((number, literal))
    return parts
