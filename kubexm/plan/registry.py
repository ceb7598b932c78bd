"""A name → object registry used for steps, tasks, modules and pipelines."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Generic, TypeVar

from kubexm.errors import PlanError

T = TypeVar("T")


class Registry(Generic[T]):
    """Holds named entries of one kind; lookups of unknown names suggest close matches."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def add(self, name: str, item: T) -> T:
        """Register ``item`` as ``name``. Raises ``PlanError`` when the name is taken."""
        if name in self._items and self._items[name] is not item:
            raise PlanError(f"{self.kind} {name} is registered twice", "rename one of them")
        self._items[name] = item
        return item

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of ``add``."""

        def deco(item: T) -> T:
            return self.add(name, item)

        return deco

    def get(self, name: str) -> T:
        """The entry for ``name``. Raises ``PlanError`` with a did-you-mean hint when unknown."""
        try:
            return self._items[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self._items), n=1)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(self.names())}"
            raise PlanError(f"unknown {self.kind} {name}", hint) from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items
