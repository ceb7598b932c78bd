from __future__ import annotations

import copy
from typing import Any

import pytest

from kubexm.util.merge import ListRule, deep_merge
from kubexm.util.yamlio import dump_yaml, load_yaml

BASE: dict[str, Any] = {
    "kubernetes": {"version": "v1.35.0", "flags": {"a": "1"}},
    "sans": ["lb.local", "10.0.0.1"],
    "port": 6443,
}


def test_deep_merge_merges_nested_mappings() -> None:
    result = deep_merge(BASE, {"kubernetes": {"flags": {"b": "2"}}, "extra": True})
    assert result == {
        "kubernetes": {"version": "v1.35.0", "flags": {"a": "1", "b": "2"}},
        "sans": ["lb.local", "10.0.0.1"],
        "port": 6443,
        "extra": True,
    }


def test_deep_merge_none_means_not_set() -> None:
    result = deep_merge(BASE, {"port": None, "kubernetes": None, "new": None})
    assert result == BASE
    assert "new" not in result


def test_deep_merge_scalar_overrides_and_types_may_change() -> None:
    result = deep_merge(BASE, {"port": 8443, "sans": "one", "kubernetes": {"flags": ["x"]}})
    assert result["port"] == 8443
    assert result["sans"] == "one"
    assert result["kubernetes"]["flags"] == ["x"]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        pytest.param("replace", ["10.0.0.1", "vip"], id="replace"),
        pytest.param("append", ["lb.local", "10.0.0.1", "10.0.0.1", "vip"], id="append"),
        pytest.param("unique", ["lb.local", "10.0.0.1", "vip"], id="unique"),
    ],
)
def test_deep_merge_list_rules(rule: ListRule, expected: list[str]) -> None:
    result = deep_merge(BASE, {"sans": ["10.0.0.1", "vip"]}, lists=rule)
    assert result["sans"] == expected


def test_deep_merge_rejects_unknown_list_rule() -> None:
    with pytest.raises(ValueError, match="unknown list rule 'merge'"):
        deep_merge({}, {}, lists="merge")  # type: ignore[arg-type]  # proves the runtime check


def test_deep_merge_leaves_inputs_untouched_and_shares_nothing() -> None:
    base = copy.deepcopy(BASE)
    override = {"kubernetes": {"flags": {"b": "2"}}, "new": {"deep": [1]}}
    snapshot = copy.deepcopy(override)
    result = deep_merge(base, override, lists="append")
    result["kubernetes"]["flags"]["a"] = "changed"
    result["new"]["deep"].append(2)
    assert base == BASE
    assert override == snapshot


def test_deep_merge_keeps_ruamel_comments_of_base() -> None:
    base = load_yaml("a: 1  # keep me\nb:\n  c: 2\n")
    result = deep_merge(base, {"b": {"d": 3}})
    assert dump_yaml(result) == "a: 1  # keep me\nb:\n  c: 2\n  d: 3\n"


def test_deep_merge_top_level_none_override_returns_copy_of_base() -> None:
    result = deep_merge(BASE, None)
    assert result == BASE
    assert result is not BASE
