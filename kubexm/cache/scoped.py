"""The scoped cache and its scope levels."""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_MISSING: Any = object()


class Scope(enum.IntEnum):
    """Cache levels, outermost first; a child must be a deeper level than its parent."""

    PIPELINE = 0
    MODULE = 1
    TASK = 2
    STEP = 3


class CacheTypeError(TypeError):
    """A cached value does not have the type a typed getter asked for."""


class ScopedCache:
    """A key/value store for one unit of work, reading through to its enclosing scopes.

    Safe to share between threads and asyncio tasks: every read or write of the local store
    holds a lock, and no method awaits. There is no process-wide state; each run builds its
    own pipeline cache.
    """

    scope: Scope
    parent: ScopedCache | None

    def __init__(self, scope: Scope, parent: ScopedCache | None = None) -> None:
        """Raise ``ValueError`` when ``parent`` is not an outer scope of ``scope``."""
        if parent is not None and parent.scope >= scope:
            raise ValueError(
                f"a {scope.name.lower()} cache cannot sit inside a "
                f"{parent.scope.name.lower()} cache; scopes nest pipeline > module > task > step"
            )
        self.scope = scope
        self.parent = parent
        self._values: dict[str, Any] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"ScopedCache({self.scope.name}, keys={len(self._values)})"

    def child(self, scope: Scope) -> ScopedCache:
        """Return a new, empty cache of a deeper ``scope`` that reads through to this one."""
        return ScopedCache(scope, parent=self)

    def _chain(self) -> Iterator[ScopedCache]:
        cache: ScopedCache | None = self
        while cache is not None:
            yield cache
            cache = cache.parent

    def lookup(self, key: str) -> tuple[Any, bool]:
        """Return ``(value, found)``, searching this scope then each enclosing one."""
        for cache in self._chain():
            with cache._lock:
                if key in cache._values:
                    return cache._values[key], True
        return None, False

    def get(self, key: str, default: Any = None) -> Any:
        """Return the nearest value for ``key``, or ``default`` when no scope has it."""
        value, found = self.lookup(key)
        return value if found else default

    def has(self, key: str) -> bool:
        """Return True when this scope or an enclosing one holds ``key`` (even as None)."""
        return self.lookup(key)[1]

    def has_local(self, key: str) -> bool:
        """Return True when this scope itself holds ``key``."""
        with self._lock:
            return key in self._values

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` in this scope; it shadows, never changes, a parent's value."""
        with self._lock:
            self._values[key] = value

    def setdefault(self, key: str, factory: Callable[[], T]) -> Any:
        """Return the visible value for ``key``; when none, store ``factory()`` here first.

        The check and the store happen under this scope's lock, so concurrent callers on the
        same cache get one value.
        """
        with self._lock:
            value, found = self.lookup(key)
            if found:
                return value
            value = factory()
            self._values[key] = value
            return value

    def delete(self, key: str) -> bool:
        """Remove ``key`` from this scope only; return whether it was there.

        A parent's value for the same key stays and becomes visible again.
        """
        with self._lock:
            return self._values.pop(key, _MISSING) is not _MISSING

    def keys(self) -> list[str]:
        """Return the keys stored in this scope only, in insertion order."""
        with self._lock:
            return list(self._values)

    def get_typed(self, key: str, type_: type[T], default: T = _MISSING) -> T:
        """Return the value for ``key`` checked to be an instance of ``type_``.

        Raises ``KeyError`` when no scope has the key and no ``default`` is given, and
        ``CacheTypeError`` when the value has another type. A bool never passes as an int.
        """
        value, found = self.lookup(key)
        if not found:
            if default is _MISSING:
                raise KeyError(f"cache key {key!r} is not set in {self.scope.name.lower()} scope")
            return default
        # bool subclasses int, but a flag read as a count is a bug worth reporting.
        wrong_bool = isinstance(value, bool) and type_ is int
        if not isinstance(value, type_) or wrong_bool:
            raise CacheTypeError(
                f"cache key {key!r} holds {type(value).__name__}, expected {type_.__name__}"
            )
        return value

    def get_str(self, key: str, default: str = _MISSING) -> str:
        """``get_typed(key, str, default)``."""
        return self.get_typed(key, str, default)

    def get_int(self, key: str, default: int = _MISSING) -> int:
        """``get_typed(key, int, default)``; a bool is refused."""
        return self.get_typed(key, int, default)

    def get_bool(self, key: str, default: bool = _MISSING) -> bool:
        """``get_typed(key, bool, default)``."""
        return self.get_typed(key, bool, default)
