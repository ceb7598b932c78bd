"""Find every secret a config holds, so logs and errors can mask it."""

from __future__ import annotations

import re
from typing import Any

from kubexm.util.yamlio import token_texts

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

# A secret glued to its key, which YAML reads as one key (``{password:S3cret}``,
# ``password=S3cret``): an "unknown key" error would quote it whole.
_GLUED = re.compile(
    r"(?<![\w-])[\"']?(?:" + "|".join(sorted(SECRET_KEYS)) + r")[:=](?P<value>[^\s,{}\[\]#\"']+)"
)


def secrets_in_data(data: Any) -> list[str]:
    """Every non-empty string value under a secret key, at any depth, in document order."""
    found: list[str] = []
    _walk(data, found)
    return list(dict.fromkeys(found))


def _walk(node: Any, found: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            glued = _GLUED.match(key) if isinstance(key, str) else None
            if glued:  # the key holds the secret: ``password:S3cret``
                found.append(glued.group("value"))
            if key in SECRET_KEYS and isinstance(value, str) and value:
                found.append(value)
            else:
                _walk(value, found)
    elif isinstance(node, list):
        for item in node:
            _walk(item, found)


def secrets_in_text(text: str) -> list[str]:
    """Secret values of ``text``, which may not parse, in every spelling a YAML error can show.

    A line scan finds ``key: value`` lines however broken the document is; YAML's own scanner
    also finds values that span lines (flow collections, quoted strings). Besides each raw
    value, its parts are listed: alias, anchor and tag names without their ``*``, ``&`` or
    ``!`` (an error quotes ``found undefined alias 'x'`` for ``*x``), each scalar without
    quotes and with escapes decoded as YAML decodes them, and the words of the value with those
    indicators and quotes stripped, for a value the scanner gives up on.
    """
    values: list[str] = []
    parts: list[str] = []
    for match in _LINE.finditer(text):
        value = match.group("value")
        # The value without quotes or a leading ``*``/``&``/``!`` whatever its length: an
        # error quoting it shows the whole secret.
        values.extend([value, value.strip("\"'"), value.lstrip("*&!")])
        parts.extend(_words(value))
        parts.extend(token_texts(value))
    parts.extend(token_texts(text, under_keys=SECRET_KEYS))
    parts.extend(match.group("value") for match in _GLUED.finditer(text))
    values.extend(part for part in parts if _worth_masking(part))
    return list(dict.fromkeys(value for value in values if value))


# Splits a value into the words an error may quote: at blanks and flow punctuation.
_WORD_BREAK = re.compile(r"[\s,\[\]{}]+")
_INDICATORS = "*&!<>\"'"
# A standard tag (``!!str S3cret``) is how the user wrote the type, not part of the secret.
_CORE_TAG = re.compile(r"(?:!!)?(?:str|int|float|bool|null|binary|timestamp|map|seq|set)")


def _words(value: str) -> list[str]:
    words: list[str] = []
    for word in _WORD_BREAK.split(value):
        words.extend([word, word.strip(_INDICATORS).rstrip(":")])
    return words


# Shorter parts (the ``a`` of ``[a, *S3cret]``) would mask common words in every message while
# hiding next to nothing.
MIN_PART_LENGTH = 3


def _worth_masking(part: str) -> bool:
    """Whether a part of a secret is worth masking: long enough, with a letter or digit
    (masking every ``-`` would garble messages and hide nothing), and not a standard tag."""
    return (
        len(part) >= MIN_PART_LENGTH
        and any(char.isalnum() for char in part)
        and not _CORE_TAG.fullmatch(part)
    )
