"""'Did you mean' suggestions for unknown keys, names and values."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to ``word``, or None when none is similar enough.

    Matching ignores case (``controlplaneendpoint`` finds ``controlPlaneEndpoint``) and the
    original spelling of the candidate is returned. Similarity is difflib's ratio with a
    cutoff of 0.6.
    """
    by_folded: dict[str, str] = {}
    for candidate in candidates:
        by_folded.setdefault(candidate.casefold(), candidate)
    matches = difflib.get_close_matches(word.casefold(), list(by_folded), n=1, cutoff=CUTOFF)
    return by_folded[matches[0]] if matches else None
