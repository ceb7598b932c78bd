"""Read and write nested values by a path such as ``spec.hosts[0].name``.

Path syntax: keys separated by dots, list indexes in brackets (``hosts[0]``, ``hosts[-1]``),
and keys that contain dots quoted, either in brackets or between dots:
``plugins["io.containerd.grpc.v1.cri"].sandbox_image`` or
``plugins."io.containerd.grpc.v1.cri".sandbox_image``. A list of keys and ints is accepted
wherever a path string is.

The functions work on any mutable mapping and sequence, including ruamel.yaml and tomlkit
containers, so edits keep the document's comments.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping, MutableSequence, Sequence
from typing import Any

PathPart = str | int
PathLike = str | Sequence[PathPart]

_MISSING: Any = object()
_TOKEN = re.compile(
    r"""
    \.?"(?P<dq>(?:[^"\\]|\\.)*)"          # ."quoted key" or "quoted key"
    | \.?'(?P<sq>[^']*)'                  # .'quoted key'
    | \[\s*(?P<idx>-?\d+)\s*\]            # [0] list index
    | \[\s*"(?P<bdq>(?:[^"\\]|\\.)*)"\s*\]  # ["key"]
    | \[\s*'(?P<bsq>[^']*)'\s*\]          # ['key']
    | \.?(?P<key>[^.\[\]"']+)             # plain key
    """,
    re.VERBOSE,
)


def parse_path(path: PathLike) -> list[PathPart]:
    """Split a path into keys (str) and list indexes (int).

    Raises ``ValueError`` for an empty path or text that is not path syntax.
    """
    if not isinstance(path, str):
        if not path:
            raise ValueError("empty path")
        return list(path)
    parts: list[PathPart] = []
    pos = 0
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if match is None or (pos == 0 and path.startswith(".")):
            raise ValueError(f"invalid path {path!r} at character {pos + 1}")
        parts.append(_token_value(match))
        pos = match.end()
    if not parts:
        raise ValueError("empty path")
    return parts


def _token_value(match: re.Match[str]) -> PathPart:
    if match.group("idx") is not None:
        return int(match.group("idx"))
    for name in ("dq", "bdq"):
        if match.group(name) is not None:
            return re.sub(r"\\(.)", r"\1", match.group(name))
    for name in ("sq", "bsq", "key"):
        if match.group(name) is not None:
            return match.group(name)
    raise AssertionError("unreachable: the token pattern has no other group")


def format_path(parts: Sequence[PathPart]) -> str:
    """Join parts back into path text; keys with dots or brackets are quoted."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[^.\[\]\"']+", part):
            text += f".{part}" if text else part
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"')
            text += f'["{escaped}"]'
    return text


def _is_sequence(value: object) -> bool:
    return isinstance(value, MutableSequence) and not isinstance(value, str | bytes)


def _step(node: Any, part: PathPart, parts: list[PathPart], depth: int) -> Any:
    """Return ``node[part]``; raise KeyError/IndexError naming the path so far."""
    where = format_path(parts[: depth + 1])
    if isinstance(part, int):
        if not _is_sequence(node):
            raise KeyError(f"{where}: {format_path(parts[:depth]) or 'document'} is not a list")
        if not -len(node) <= part < len(node):
            raise IndexError(f"{where}: index {part} is out of range (length {len(node)})")
        return node[part]
    if not isinstance(node, MutableMapping):
        raise KeyError(f"{where}: {format_path(parts[:depth]) or 'document'} is not a mapping")
    if part not in node:
        raise KeyError(f"{where}: no such key")
    return node[part]


def get_path(doc: Any, path: PathLike, default: Any = _MISSING) -> Any:
    """Return the value at ``path``.

    When a key or index is missing (or a scalar sits where a container is needed) return
    ``default`` if given, else raise ``KeyError`` or ``IndexError`` naming the path.
    """
    parts = parse_path(path)
    node = doc
    try:
        for depth, part in enumerate(parts):
            node = _step(node, part, parts, depth)
    except (KeyError, IndexError):
        if default is _MISSING:
            raise
        return default
    return node


def has_path(doc: Any, path: PathLike) -> bool:
    """Return True when ``path`` leads to a value (which may be None)."""
    absent = object()
    return get_path(doc, path, absent) is not absent


def _child_for(next_part: PathPart) -> Any:
    return [] if isinstance(next_part, int) else {}


def _descend_creating(node: Any, parts: list[PathPart], depth: int) -> Any:
    """Return ``node[part]``, first creating a dict (or a list before an index) if missing."""
    part, next_part = parts[depth], parts[depth + 1]
    if isinstance(part, str) and isinstance(node, MutableMapping) and part not in node:
        node[part] = _child_for(next_part)
        # Read back: tomlkit replaces a plain dict by its own table on assignment.
        return node[part]
    if isinstance(part, int) and _is_sequence(node) and part == len(node):
        node.append(_child_for(next_part))
        return node[part]
    return _step(node, part, parts, depth)


def set_path(doc: Any, path: PathLike, value: Any) -> None:
    """Set the value at ``path``, creating missing mappings on the way.

    A missing step before an index creates a list; an index equal to a list's length appends.
    Raises ``KeyError`` when a scalar sits where a container is needed and ``IndexError`` when
    an index is beyond the end of a list.
    """
    parts = parse_path(path)
    node = doc
    for depth in range(len(parts) - 1):
        node = _descend_creating(node, parts, depth)
    _assign(node, parts, value)


def _assign(node: Any, parts: list[PathPart], value: Any) -> None:
    last = parts[-1]
    where = format_path(parts)
    if isinstance(last, int):
        if not _is_sequence(node):
            raise KeyError(f"{where}: {format_path(parts[:-1]) or 'document'} is not a list")
        if last == len(node):
            node.append(value)
        elif -len(node) <= last < len(node):
            node[last] = value
        else:
            raise IndexError(f"{where}: index {last} is out of range (length {len(node)})")
        return
    if not isinstance(node, MutableMapping):
        raise KeyError(f"{where}: {format_path(parts[:-1]) or 'document'} is not a mapping")
    node[last] = value


def delete_path(doc: Any, path: PathLike, *, missing_ok: bool = False) -> None:
    """Remove the key or list item at ``path``.

    Raises ``KeyError``/``IndexError`` naming the path when it does not exist, unless
    ``missing_ok`` is set.
    """
    parts = parse_path(path)
    try:
        parent = get_path(doc, parts[:-1]) if len(parts) > 1 else doc
        _step(parent, parts[-1], parts, len(parts) - 1)
    except (KeyError, IndexError):
        if missing_ok:
            return
        raise
    del parent[parts[-1]]
