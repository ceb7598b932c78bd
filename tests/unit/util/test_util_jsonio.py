from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubexm.util.jsonio import JSONSyntaxError, dump_json, load_json, load_json_file


def test_load_json_parses() -> None:
    assert load_json('{"a": [1, 2]}') == {"a": [1, 2]}


def test_load_json_reports_position() -> None:
    with pytest.raises(JSONSyntaxError, match="line 2, column") as info:
        load_json('{"a": 1,\n}')
    assert info.value.line == 2


def test_load_json_file_names_file(tmp_path: Path) -> None:
    good = tmp_path / "a.json"
    good.write_text('{"k": "v"}', encoding="utf-8")
    assert load_json_file(good) == {"k": "v"}
    bad = tmp_path / "b.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(JSONSyntaxError, match=r"b\.json:1:2"):
        load_json_file(bad)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({}, '{\n  "b": 1,\n  "a": "é"\n}\n', id="indented-keeps-order"),
        pytest.param({"sort_keys": True}, '{\n  "a": "é",\n  "b": 1\n}\n', id="sorted"),
        pytest.param({"indent": None}, '{"b":1,"a":"é"}\n', id="compact"),
    ],
)
def test_dump_json_forms(kwargs: dict[str, Any], expected: str) -> None:
    assert dump_json({"b": 1, "a": "é"}, **kwargs) == expected


def test_dump_json_rejects_unserialisable() -> None:
    with pytest.raises(TypeError):
        dump_json({"a": object()})
