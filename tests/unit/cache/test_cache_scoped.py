from __future__ import annotations

import asyncio
import threading

import pytest

from kubexm.cache import CacheTypeError, Scope, ScopedCache


def _chain() -> tuple[ScopedCache, ScopedCache, ScopedCache, ScopedCache]:
    pipeline = ScopedCache(Scope.PIPELINE)
    module = pipeline.child(Scope.MODULE)
    task = module.child(Scope.TASK)
    step = task.child(Scope.STEP)
    return pipeline, module, task, step


def test_reads_fall_through_to_parents() -> None:
    pipeline, _, task, step = _chain()
    pipeline.set("facts", {"os": "debian"})
    task.set("join-token", "abc.def")
    assert step.get("facts") == {"os": "debian"}
    assert step.get("join-token") == "abc.def"
    assert step.has("facts")
    assert not step.has_local("facts")


def test_writes_stay_local_and_shadow_parent() -> None:
    pipeline, module, _, step = _chain()
    pipeline.set("version", "v1.35.0")
    step.set("version", "v1.36.0")
    assert step.get("version") == "v1.36.0"
    assert module.get("version") == "v1.35.0"
    assert pipeline.keys() == ["version"]


def test_siblings_are_isolated() -> None:
    _, module, _, _ = _chain()
    first, second = module.child(Scope.TASK), module.child(Scope.TASK)
    first.set("k", 1)
    assert not second.has("k")
    assert second.get("k", "absent") == "absent"


def test_delete_removes_local_value_and_uncovers_parent() -> None:
    pipeline, _, _, step = _chain()
    pipeline.set("k", "outer")
    step.set("k", "inner")
    assert step.delete("k") is True
    assert step.get("k") == "outer"
    assert step.delete("k") is False
    assert pipeline.get("k") == "outer"


def test_lookup_distinguishes_none_from_missing() -> None:
    cache = ScopedCache(Scope.PIPELINE)
    cache.set("empty", None)
    assert cache.lookup("empty") == (None, True)
    assert cache.lookup("absent") == (None, False)


def test_keys_lists_current_scope_only_in_order() -> None:
    pipeline, module, _, _ = _chain()
    pipeline.set("p", 1)
    module.set("b", 1)
    module.set("a", 2)
    assert module.keys() == ["b", "a"]


@pytest.mark.parametrize(
    ("parent_scope", "child_scope"),
    [
        pytest.param(Scope.TASK, Scope.MODULE, id="outward"),
        pytest.param(Scope.STEP, Scope.STEP, id="same-level"),
    ],
)
def test_child_must_be_deeper(parent_scope: Scope, child_scope: Scope) -> None:
    with pytest.raises(ValueError, match="cannot sit inside"):
        ScopedCache(parent_scope).child(child_scope)


def test_child_may_skip_levels() -> None:
    step = ScopedCache(Scope.PIPELINE).child(Scope.STEP)
    assert step.scope is Scope.STEP
    assert step.parent is not None
    assert step.parent.scope is Scope.PIPELINE


def test_typed_getters_return_matching_values() -> None:
    pipeline, _, _, step = _chain()
    pipeline.set("name", "demo")
    pipeline.set("count", 3)
    pipeline.set("ready", True)
    pipeline.set("hosts", ["a"])
    assert step.get_str("name") == "demo"
    assert step.get_int("count") == 3
    assert step.get_bool("ready") is True
    assert step.get_typed("hosts", list) == ["a"]
    assert step.get_typed("ready", object) is True


@pytest.mark.parametrize(
    ("key", "getter", "expected"),
    [
        pytest.param("count", "get_str", "holds int, expected str", id="int-as-str"),
        pytest.param("name", "get_int", "holds str, expected int", id="str-as-int"),
        pytest.param("ready", "get_int", "holds bool, expected int", id="bool-as-int"),
        pytest.param("count", "get_bool", "holds int, expected bool", id="int-as-bool"),
    ],
)
def test_typed_getters_reject_wrong_type(key: str, getter: str, expected: str) -> None:
    cache = ScopedCache(Scope.PIPELINE)
    cache.set("name", "demo")
    cache.set("count", 3)
    cache.set("ready", True)
    with pytest.raises(CacheTypeError, match=expected):
        getattr(cache, getter)(key)


def test_typed_getter_missing_key_raises_or_uses_default() -> None:
    cache = ScopedCache(Scope.TASK)
    with pytest.raises(KeyError, match="'token' is not set in task scope"):
        cache.get_str("token")
    assert cache.get_str("token", "fallback") == "fallback"
    assert cache.get_int("n", 0) == 0
    assert cache.get_bool("b", False) is False


def test_setdefault_stores_factory_value_once() -> None:
    pipeline, _, task, _ = _chain()
    calls: list[int] = []

    def factory() -> str:
        calls.append(1)
        return "computed"

    assert task.setdefault("k", factory) == "computed"
    assert task.setdefault("k", factory) == "computed"
    assert calls == [1]
    assert task.has_local("k")
    assert not pipeline.has("k")


def test_setdefault_uses_parent_value_without_calling_factory() -> None:
    pipeline, _, task, _ = _chain()
    pipeline.set("k", "outer")
    assert task.setdefault("k", lambda: "never") == "outer"
    assert not task.has_local("k")


def test_concurrent_threads_do_not_lose_writes() -> None:
    cache = ScopedCache(Scope.PIPELINE)

    def writer(offset: int) -> None:
        for i in range(500):
            cache.set(f"k{offset}-{i}", i)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache.keys()) == 8 * 500


async def test_interleaved_async_steps_keep_their_own_values() -> None:
    pipeline = ScopedCache(Scope.PIPELINE)
    pipeline.set("cluster", "demo")

    async def step(host: str) -> str:
        cache = pipeline.child(Scope.STEP)
        cache.set("host", host)
        await asyncio.sleep(0)  # let the other steps write before reading back
        return f"{cache.get_str('host')}@{cache.get_str('cluster')}"

    results = await asyncio.gather(*(step(f"node{n}") for n in range(5)))
    assert results == [f"node{n}@demo" for n in range(5)]
    assert not pipeline.has("host")


def test_repr_names_scope() -> None:
    assert repr(ScopedCache(Scope.MODULE)) == "ScopedCache(MODULE, keys=0)"
