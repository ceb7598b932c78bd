"""Deep merge of nested mappings, for layering user overrides on defaults.

Rules, applied at every level:

- mapping + mapping: merged key by key, recursively; keys only in ``base`` stay, keys only in
  ``override`` are added, in the order base keys then new keys;
- a ``None`` in ``override`` means "not set": the base value is kept (and a key whose
  override is None and that base lacks is not added);
- list + list: by the ``lists`` rule — ``"replace"`` (default) takes the override list,
  ``"append"`` gives base items then override items, ``"unique"`` gives base items then the
  override items not already present (compared with ``==``), both keeping order;
- anything else: the override value wins (a list replaces a scalar and vice versa).

Neither input is modified; the result shares no mutable object with them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping
from typing import Any, Literal

ListRule = Literal["replace", "append", "unique"]
_LIST_RULES = ("replace", "append", "unique")


def deep_merge(base: Any, override: Any, *, lists: ListRule = "replace") -> Any:
    """Return ``base`` with ``override`` merged in, by the rules in the module docstring.

    The result keeps the container types of ``base`` (ruamel.yaml maps keep their comments).
    Raises ``ValueError`` for an unknown ``lists`` rule.
    """
    if lists not in _LIST_RULES:
        raise ValueError(f"unknown list rule {lists!r}; expected one of {', '.join(_LIST_RULES)}")
    return _merge(base, override, lists)


def _merge(base: Any, override: Any, lists: ListRule) -> Any:
    if override is None:
        return copy.deepcopy(base)
    if isinstance(base, MutableMapping) and isinstance(override, Mapping):
        return _merge_mappings(base, override, lists)
    if _is_list(base) and _is_list(override):
        return _merge_lists(base, override, lists)
    return copy.deepcopy(override)


def _merge_mappings(
    base: MutableMapping[Any, Any], override: Mapping[Any, Any], lists: ListRule
) -> Any:
    result = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            continue
        result[key] = _merge(base[key], value, lists) if key in base else copy.deepcopy(value)
    return result


def _merge_lists(base: list[Any], override: list[Any], lists: ListRule) -> list[Any]:
    if lists == "replace":
        return copy.deepcopy(override)
    result = copy.deepcopy(base)
    for item in override:
        if lists == "append" or item not in result:
            result.append(copy.deepcopy(item))
    return result


def _is_list(value: object) -> bool:
    return isinstance(value, list)
