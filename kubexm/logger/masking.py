"""Masking of secret values before any sink sees an event."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from kubexm.util.redact import redact_fragments, secret_fragments

# Values JSON writes as they are; anything else is turned to text (and masked) first, since
# its str() might hold a secret.
_PLAIN = (int, float, bool, type(None))


class SecretMasker:
    """Collects secret values (passwords, private keys, tokens) and masks them in text.

    The caller adds every secret it knows: config passwords and keys at start, tokens as they
    are created. Multi-line secrets are also masked line by line (see ``kubexm.util.redact``).
    Safe to use from several threads.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = set()
        self._fragments: list[str] = []
        self._lock = threading.Lock()
        self.add(*secrets)

    def __len__(self) -> int:
        return len(self._secrets)

    def add(self, *secrets: str | None) -> None:
        """Remember more secrets; empty strings and None are ignored."""
        new = {secret for secret in secrets if secret}
        with self._lock:
            if new <= self._secrets:
                return
            self._secrets |= new
            self._fragments = secret_fragments(self._secrets)

    def mask(self, text: str) -> str:
        """Return ``text`` with every known secret replaced by ``******``."""
        fragments = self._fragments
        return redact_fragments(text, fragments) if fragments else text

    def mask_value(self, value: Any) -> Any:
        """Mask strings inside ``value``: mappings and lists are walked; numbers, bools and
        None pass through; any other object becomes its masked ``str()``."""
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, _PLAIN):
            return value
        if isinstance(value, Mapping):
            return {self.mask(str(key)): self.mask_value(item) for key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.mask_value(item) for item in value]
        return self.mask(str(value))

    def mask_fields(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Return a masked copy of an event's ``fields``."""
        return {self.mask(key): self.mask_value(value) for key, value in fields.items()}
