"""Find every secret a config holds, so logs and errors can mask it."""

from __future__ import annotations

import re
from typing import Any

# Keys whose values are credentials wherever they appear in the document.
SECRET_KEYS = frozenset(
    {"password", "privateKey", "auth", "identityToken", "authPass", "token", "sudoPassword"}
)
# Finds `password: value` lines in text that may not even parse as YAML.
_LINE = re.compile(
    r"^\s*-?\s*[\"']?(?:"
    + "|".join(sorted(SECRET_KEYS))
    + r")[\"']?\s*:\s*(?P<value>[^|>\s#].*?)\s*$",
    re.MULTILINE,
)


def secrets_in_data(data: Any) -> list[str]:
    """Every non-empty string value under a secret key, at any depth, in document order."""
    found: list[str] = []
    _walk(data, found)
    return list(dict.fromkeys(found))


def _walk(node: Any, found: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SECRET_KEYS and isinstance(value, str) and value:
                found.append(value)
            else:
                _walk(value, found)
    elif isinstance(node, list):
        for item in node:
            _walk(item, found)


def secrets_in_text(text: str) -> list[str]:
    """Single-line secret values found by a line scan, for text that fails to parse.

    Quotes around the value are dropped too, so both spellings are masked.
    """
    values: list[str] = []
    for match in _LINE.finditer(text):
        value = match.group("value")
        values.append(value)
        stripped = value.strip("\"'")
        if stripped and stripped != value:
            values.append(stripped)
    return list(dict.fromkeys(values))
