"""Version strings of Kubernetes and its components (``v1.36.4``, ``1.36``, ``3.5.10-0``).

A ``Version`` keeps the text after the patch number, separator included, as ``suffix``
(``-0``, ``-rc.1``, ``+k3s1``). Ordering follows PEP 440 through ``packaging`` where the
suffix allows it: ``-rc.1`` sorts before the release, ``-0`` (an image build number) and
``+k3s1`` after it. A version without a patch (``1.36``) sorts before every ``1.36.x``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from packaging.version import InvalidVersion
from packaging.version import Version as _PepVersion

_PATTERN = re.compile(r"^[vV]?(\d+)\.(\d+)(?:\.(\d+))?([-+][0-9A-Za-z][0-9A-Za-z.+-]*)?$")
_PEP_ZERO = _PepVersion("0")


@functools.total_ordering
@dataclass(frozen=True, eq=True)
class Version:
    """A parsed version; ``patch`` is None for a bare minor such as ``1.36``."""

    major: int
    minor: int
    patch: int | None = None
    suffix: str = ""

    @property
    def minor_str(self) -> str:
        """``"1.36"`` for ``1.36.4``: the minor line, without ``v``."""
        return f"{self.major}.{self.minor}"

    def release(self) -> Version:
        """The same version without its suffix (``3.5.10-0`` → ``3.5.10``)."""
        return Version(self.major, self.minor, self.patch)

    def with_v(self) -> str:
        """The version with a leading ``v`` (``v1.36.4``), as Kubernetes tags spell it."""
        return f"v{self}"

    def __str__(self) -> str:
        patch = "" if self.patch is None else f".{self.patch}"
        return f"{self.major}.{self.minor}{patch}{self.suffix}"

    def _key(self) -> tuple[int, int, int, int, _PepVersion, str]:
        patch = -1 if self.patch is None else self.patch
        try:
            pep = _PepVersion(f"{self.major}.{self.minor}.{max(patch, 0)}{self.suffix}")
        except InvalidVersion:
            # Suffixes PEP 440 cannot read sort after every readable one, by their text.
            return (self.major, self.minor, patch, 1, _PEP_ZERO, self.suffix)
        return (self.major, self.minor, patch, 0, pep, self.suffix)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()


def parse_version(text: str) -> Version:
    """Parse ``v1.36.4``, ``1.36.4``, ``1.36`` or ``3.5.10-0``; surrounding spaces are ignored.

    Raises ``ValueError`` naming the text when it is not such a version.
    """
    match = _PATTERN.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a version; expected MAJOR.MINOR[.PATCH] such as v1.36.4")
    major, minor, patch, suffix = match.groups()
    return Version(int(major), int(minor), None if patch is None else int(patch), suffix or "")


def _as_version(value: str | Version) -> Version:
    return value if isinstance(value, Version) else parse_version(value)


def compare_versions(a: str | Version, b: str | Version) -> int:
    """Return -1, 0 or 1 as ``a`` is older than, equal to or newer than ``b``.

    Raises ``ValueError`` when a string is not a version.
    """
    va, vb = _as_version(a), _as_version(b)
    return (va > vb) - (va < vb)


def same_minor(a: str | Version, b: str | Version) -> bool:
    """Return True when both versions are on the same minor line (``1.36.1`` and ``v1.36``)."""
    va, vb = _as_version(a), _as_version(b)
    return (va.major, va.minor) == (vb.major, vb.minor)


def is_valid_version(text: str) -> bool:
    """Return True when ``parse_version`` accepts ``text``."""
    return _PATTERN.match(text.strip()) is not None
