"""JSON load and dump with the same error shape as the YAML and TOML helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kubexm.util.docerror import DocumentSyntaxError


class JSONSyntaxError(DocumentSyntaxError):
    """JSON text that does not parse; see ``DocumentSyntaxError`` for the fields."""


def load_json(text: str, *, source: str = "") -> Any:
    """Parse JSON text; raises ``JSONSyntaxError`` (a ``ValueError``) with line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise JSONSyntaxError(err.msg, err.lineno, err.colno, source) from None


def load_json_file(path: str | Path) -> Any:
    """Read and parse a JSON file; ``OSError`` when unreadable, ``JSONSyntaxError`` if bad."""
    file = Path(path)
    return load_json(file.read_text(encoding="utf-8"), source=str(file))


def dump_json(data: Any, *, sort_keys: bool = False, indent: int | None = 2) -> str:
    """Serialise ``data`` to JSON text ending in a newline; ``indent=None`` gives one line.

    Non-ASCII text is written as is. Raises ``TypeError`` for values JSON cannot hold.
    """
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(
        data, sort_keys=sort_keys, indent=indent, ensure_ascii=False, separators=separators
    )
    return text + "\n"
