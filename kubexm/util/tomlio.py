"""TOML load and dump with tomlkit, keeping comments and layout.

Used to merge user settings into generated files such as containerd's ``config.toml``:
``load_toml`` gives a document that behaves as a dict and dumps back with its comments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError
from tomlkit.toml_document import TOMLDocument

from kubexm.util.docerror import DocumentSyntaxError

_POSITION_SUFFIX = re.compile(r"\s*at line \d+ col \d+\s*$")


class TOMLSyntaxError(DocumentSyntaxError):
    """TOML text that does not parse; see ``DocumentSyntaxError`` for the fields."""


def load_toml(text: str, *, source: str = "") -> TOMLDocument:
    """Parse TOML into a comment-keeping document.

    Raises ``TOMLSyntaxError`` (a ``ValueError``) with line and column on bad syntax or a
    repeated key or table; ``source`` names the file in the error.
    """
    try:
        return tomlkit.parse(text)
    except ParseError as err:
        message = _POSITION_SUFFIX.sub("", str(err)).rstrip(".") or "invalid TOML"
        raise TOMLSyntaxError(message, err.line, err.col + 1, source) from None


def load_toml_plain(text: str, *, source: str = "") -> dict[str, Any]:
    """Parse TOML into plain dict, list and scalars; errors as ``load_toml``."""
    return load_toml(text, source=source).unwrap()


def load_toml_file(path: str | Path) -> TOMLDocument:
    """Read and parse a TOML file; ``OSError`` when unreadable, ``TOMLSyntaxError`` if bad."""
    file = Path(path)
    return load_toml(file.read_text(encoding="utf-8"), source=str(file))


def dump_toml(data: Mapping[str, Any]) -> str:
    """Serialise a tomlkit document or a plain mapping to TOML text.

    Raises ``TypeError`` or ``ValueError`` when a value has no TOML form (None, objects).
    """
    return tomlkit.dumps(data)
