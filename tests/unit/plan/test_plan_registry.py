"""The name registry."""

from __future__ import annotations

import pytest

from kubexm.errors import PlanError
from kubexm.plan import Registry


def test_register_get_and_names() -> None:
    reg: Registry[object] = Registry("pipeline")
    reg.add("create-cluster", 1)

    @reg.register("delete-cluster")
    def _two() -> int:
        return 2

    assert reg.get("create-cluster") == 1
    assert reg.names() == ["create-cluster", "delete-cluster"]
    assert "delete-cluster" in reg


def test_unknown_name_suggests_the_closest() -> None:
    reg: Registry[int] = Registry("pipeline")
    reg.add("create-cluster", 1)
    with pytest.raises(PlanError, match="unknown pipeline create-clustr") as err:
        reg.get("create-clustr")
    assert err.value.hint == "did you mean create-cluster?"


def test_unknown_name_without_match_lists_known_names() -> None:
    reg: Registry[int] = Registry("task")
    reg.add("a", 1)
    with pytest.raises(PlanError) as err:
        reg.get("zzzzzz")
    assert err.value.hint == "known: a"


def test_same_name_twice_is_an_error() -> None:
    reg: Registry[object] = Registry("step")
    reg.add("x", object())
    with pytest.raises(PlanError, match="registered twice"):
        reg.add("x", object())
