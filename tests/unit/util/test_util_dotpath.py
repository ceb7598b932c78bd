from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubexm.util.dotpath import (
    PathPart,
    delete_path,
    format_path,
    get_path,
    has_path,
    parse_path,
    set_path,
)
from kubexm.util.tomlio import dump_toml, load_toml
from kubexm.util.yamlio import dump_yaml, load_yaml


def _doc() -> dict[str, Any]:
    return {"spec": {"hosts": [{"name": "node1"}, {"name": "node2"}], "port": 6443}}


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        pytest.param("spec.hosts[0].name", ["spec", "hosts", 0, "name"], id="index"),
        pytest.param("a[-1]", ["a", -1], id="negative-index"),
        pytest.param('p["io.containerd.cri"].x', ["p", "io.containerd.cri", "x"], id="bracket"),
        pytest.param("p.'io.k8s'.x", ["p", "io.k8s", "x"], id="single-quoted"),
        pytest.param('p."a\\"b".x', ["p", 'a"b', "x"], id="escaped-quote"),
        pytest.param(["a", 0], ["a", 0], id="list-passes-through"),
    ],
)
def test_parse_path_splits_keys_and_indexes(path: str, parts: list[PathPart]) -> None:
    assert parse_path(path) == parts


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("", id="empty"),
        pytest.param(".a", id="leading-dot"),
        pytest.param("a..b", id="double-dot"),
        pytest.param("a[x]", id="word-index"),
        pytest.param("a[0", id="unclosed"),
        pytest.param("a.", id="trailing-dot"),
        pytest.param([], id="empty-list"),
    ],
)
def test_parse_path_rejects_bad_syntax(path: str) -> None:
    with pytest.raises(ValueError, match="path"):
        parse_path(path)


def test_format_path_quotes_dotted_keys() -> None:
    assert format_path(["p", "io.cri", 0, "x"]) == 'p["io.cri"][0].x'


def test_get_path_reads_nested_values() -> None:
    doc = _doc()
    assert get_path(doc, "spec.hosts[1].name") == "node2"
    assert get_path(doc, "spec.hosts[-1].name") == "node2"
    assert get_path(doc, "spec.port") == 6443


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        pytest.param("spec.nope", KeyError, r"spec\.nope: no such key", id="missing-key"),
        pytest.param("spec.hosts[5]", IndexError, r"spec\.hosts\[5\]: index 5", id="index"),
        pytest.param("spec.port.x", KeyError, r"spec\.port is not a mapping", id="scalar-map"),
        pytest.param("spec[0]", KeyError, "spec is not a list", id="map-as-list"),
    ],
)
def test_get_path_errors_name_the_path(path: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        get_path(_doc(), path)


def test_get_path_returns_default_when_missing() -> None:
    assert get_path(_doc(), "spec.hosts[9].name", default="x") == "x"
    assert get_path(_doc(), "spec.absent", default=None) is None


def test_has_path() -> None:
    doc = {"a": None}
    assert has_path(doc, "a")
    assert not has_path(doc, "b")


def test_set_path_creates_intermediate_containers() -> None:
    doc: dict[str, Any] = {}
    set_path(doc, "spec.hosts[0].name", "node1")
    set_path(doc, "spec.global.workDir", "/w")
    assert doc == {"spec": {"hosts": [{"name": "node1"}], "global": {"workDir": "/w"}}}


def test_set_path_appends_at_list_end_and_replaces_inside() -> None:
    doc = _doc()
    set_path(doc, "spec.hosts[2]", {"name": "node3"})
    set_path(doc, "spec.hosts[0].name", "first")
    assert [h["name"] for h in doc["spec"]["hosts"]] == ["first", "node2", "node3"]


@pytest.mark.parametrize(
    ("path", "error"),
    [
        pytest.param("spec.hosts[7].name", IndexError, id="beyond-end"),
        pytest.param("spec.port.x", KeyError, id="through-scalar"),
        pytest.param("spec.port[0]", KeyError, id="index-into-scalar"),
        pytest.param("spec.hosts[9]", IndexError, id="set-beyond-end"),
    ],
)
def test_set_path_rejects_impossible_paths(path: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        set_path(_doc(), path, 1)


def test_set_path_on_ruamel_keeps_comments() -> None:
    doc = load_yaml("spec:  # the spec\n  port: 6443\n")
    set_path(doc, "spec.network.pods", "10.244.0.0/16")
    text = dump_yaml(doc)
    assert "# the spec" in text
    assert "pods: 10.244.0.0/16" in text


def test_set_path_on_tomlkit_creates_quoted_tables() -> None:
    doc = load_toml("# keep\nversion = 2\n")
    set_path(doc, 'plugins["io.containerd.grpc.v1.cri"].sandbox_image', "pause:3.10")
    text = dump_toml(doc)
    assert text.startswith("# keep\nversion = 2\n")
    assert '[plugins."io.containerd.grpc.v1.cri"]' in text
    assert get_path(doc, 'plugins."io.containerd.grpc.v1.cri".sandbox_image') == "pause:3.10"


def test_delete_path_removes_key_and_list_item() -> None:
    doc = _doc()
    delete_path(doc, "spec.hosts[0]")
    delete_path(doc, "spec.port")
    assert doc == {"spec": {"hosts": [{"name": "node2"}]}}


def test_delete_path_missing() -> None:
    doc = _doc()
    with pytest.raises(KeyError, match=r"spec\.nope"):
        delete_path(doc, "spec.nope")
    delete_path(doc, "spec.nope.deeper", missing_ok=True)
    assert doc == _doc()


_keys = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_.-]{0,8}", fullmatch=True)
_paths = st.lists(st.one_of(_keys, st.integers(min_value=0, max_value=0)), min_size=1, max_size=5)


@given(parts=st.lists(_keys, min_size=1, max_size=5), value=st.integers() | st.text())
def test_set_then_get_round_trips(parts: list[str], value: object) -> None:
    doc: dict[str, Any] = {}
    set_path(doc, format_path(parts), value)
    assert get_path(doc, format_path(parts)) == value
    assert get_path(doc, parts) == value


@given(parts=_paths)
def test_format_then_parse_round_trips(parts: list[PathPart]) -> None:
    assert parse_path(format_path(parts)) == parts
