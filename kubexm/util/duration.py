"""Durations written the Go way (``30s``, ``5m``, ``1h30m``, ``250ms``) plus days (``2d``)."""

from __future__ import annotations

import math
import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def parse_duration(value: str | int | float) -> float:
    """Return ``value`` in seconds.

    Accepts a number of seconds (int, float or numeric text) or unit parts in any order such as
    ``1h30m``, ``2d``, ``1.5s``, ``250ms``. Raises ``ValueError`` for negative, non-finite,
    empty or unreadable input, and for a bool (``true`` in YAML is never a duration).
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        # ValueError, not TypeError: pydantic validators turn only ValueError into a
        # config problem with a path; TypeError would surface as a traceback.
        raise ValueError(  # noqa: TRY004
            f"a duration must be seconds or text like 30s, not {type(value).__name__}"
        )
    if isinstance(value, int | float):
        return _checked(float(value), str(value))
    text = value.strip().lower()
    if _NUMBER.fullmatch(text):
        return float(text)
    if text.startswith("-"):
        raise ValueError(f"duration {value!r} is negative")
    return _parse_units(text, value)


def _parse_units(text: str, original: str) -> float:
    total = 0.0
    pos = 0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos == 0 or pos != len(text):
        raise ValueError(
            f"invalid duration {original!r}; use seconds or units ms, s, m, h, d like 1h30m"
        )
    return total


def _checked(seconds: float, original: str) -> float:
    if not math.isfinite(seconds):
        raise ValueError(f"duration {original!r} is not a finite number")
    if seconds < 0:
        raise ValueError(f"duration {original!r} is negative")
    return seconds


def format_duration(seconds: float) -> str:
    """Return a short text form (``1h30m``, ``2.5s``, ``250ms``, ``0s``), to the millisecond.

    ``parse_duration`` reads it back. Raises ``ValueError`` for negative or non-finite input.
    """
    millis = round(_checked(float(seconds), str(seconds)) * 1000)
    if millis == 0:
        return "0s"
    if millis < 1000:
        return f"{millis}ms"
    whole, frac = divmod(millis, 1000)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    if whole or frac:
        sec = f"{whole}.{frac:03d}".rstrip("0").rstrip(".") if frac else str(whole)
        parts.append(f"{sec}s")
    return "".join(parts)
