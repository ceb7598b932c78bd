"""Masking of secrets in text that goes to logs, errors or output."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "******"
# Shorter lines of a multi-line secret (a PEM's last line can be "Aw==") would also mask
# unrelated text everywhere; whole secrets are masked whatever their length.
MIN_LINE_LENGTH = 8


def secret_fragments(secrets: Iterable[str]) -> list[str]:
    """Return the strings to mask for ``secrets``, longest first.

    Each non-empty secret counts, and for a multi-line secret (a PEM key) also each of its
    stripped lines of at least ``MIN_LINE_LENGTH`` characters, because logs often show such a
    value line by line or re-indented.
    """
    found: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        found.add(secret)
        if "\n" in secret:
            found.update(
                line.strip() for line in secret.splitlines() if len(line.strip()) >= MIN_LINE_LENGTH
            )
    # Longest first, so a secret that contains another is masked whole.
    return sorted(found, key=lambda item: (-len(item), item))


def redact(text: str, secrets: Iterable[str]) -> str:
    """Return ``text`` with every secret (see ``secret_fragments``) replaced by ``******``."""
    return redact_fragments(text, secret_fragments(secrets))


def redact_fragments(text: str, fragments: Iterable[str]) -> str:
    """Replace each of the already prepared ``fragments`` (longest first) in ``text``.

    A fragment shorter than ``MIN_LINE_LENGTH`` is replaced only where it stands alone (not
    inside a longer run of letters and digits): masking a one-letter password inside every
    word would garble the text and, by the pattern of the gaps, give the password away.
    """
    for fragment in fragments:
        if fragment not in text:
            continue
        if len(fragment) >= MIN_LINE_LENGTH:
            text = text.replace(fragment, MASK)
        else:
            pattern = rf"(?<![0-9A-Za-z]){re.escape(fragment)}(?![0-9A-Za-z])"
            text = re.sub(pattern, MASK, text)
    return text
