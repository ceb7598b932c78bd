from __future__ import annotations

from pathlib import Path

import pytest

from kubexm.util.tomlio import (
    TOMLSyntaxError,
    dump_toml,
    load_toml,
    load_toml_file,
    load_toml_plain,
)

SAMPLE = """\
# containerd
version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"  # pinned
"""


def test_load_toml_round_trip_keeps_comments_and_layout() -> None:
    assert dump_toml(load_toml(SAMPLE)) == SAMPLE


def test_load_toml_edit_keeps_comments() -> None:
    doc = load_toml(SAMPLE)
    doc["version"] = 3
    text = dump_toml(doc)
    assert "version = 3" in text
    assert "# pinned" in text


def test_load_toml_plain_returns_builtin_types() -> None:
    doc = load_toml_plain(SAMPLE)
    assert type(doc) is dict
    cri = doc["plugins"]["io.containerd.grpc.v1.cri"]
    assert type(cri) is dict
    assert cri == {"sandbox_image": "registry.k8s.io/pause:3.10"}


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        pytest.param("a = 1\na = 2\n", 2, 1, 'Key "a" already exists', id="duplicate"),
        pytest.param('x = "v" y\n', 1, 9, "Unexpected character", id="trailing"),
    ],
)
def test_load_toml_reports_errors_with_position(
    text: str, line: int, column: int, message: str
) -> None:
    with pytest.raises(TOMLSyntaxError, match=message) as info:
        load_toml(text)
    assert (info.value.line, info.value.column) == (line, column)
    assert "at line" not in info.value.message


def test_load_toml_file_names_file_in_errors(tmp_path: Path) -> None:
    good = tmp_path / "config.toml"
    good.write_text(SAMPLE, encoding="utf-8")
    assert load_toml_file(good)["version"] == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("a = \n", encoding="utf-8")
    with pytest.raises(TOMLSyntaxError, match=r"bad\.toml:1:"):
        load_toml_file(bad)


def test_dump_toml_plain_mapping() -> None:
    assert dump_toml({"a": 1, "t": {"b": "x"}}) == 'a = 1\n\n[t]\nb = "x"\n'
