from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kubexm.util.yamlio import (
    YAMLSyntaxError,
    dump_yaml,
    load_yaml,
    load_yaml_all,
    load_yaml_file,
    load_yaml_plain,
    token_texts,
)

SAMPLE = """\
# cluster file
spec:
  hosts:  # all machines
    - name: node1
      address: 10.0.0.1
  zeta: 1
  alpha: 2
"""


def test_load_yaml_round_trip_keeps_comments_and_order() -> None:
    doc = load_yaml(SAMPLE)
    assert dump_yaml(doc) == SAMPLE


def test_load_yaml_edit_keeps_comments() -> None:
    doc = load_yaml(SAMPLE)
    doc["spec"]["hosts"][0]["address"] = "10.0.0.9"
    text = dump_yaml(doc)
    assert "# all machines" in text
    assert "address: 10.0.0.9" in text
    assert text.index("zeta") < text.index("alpha")


def test_load_yaml_empty_text_is_none() -> None:
    assert load_yaml("") is None


def test_load_yaml_plain_returns_builtin_types() -> None:
    doc = load_yaml_plain(SAMPLE)
    assert type(doc) is dict
    assert type(doc["spec"]["hosts"]) is list
    assert doc == {
        "spec": {"hosts": [{"name": "node1", "address": "10.0.0.1"}], "zeta": 1, "alpha": 2}
    }


@pytest.mark.parametrize("loader", [load_yaml, load_yaml_plain], ids=["round-trip", "plain"])
@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param("a: 1\nb: [1\n", 3, "expected ',' or ']'", id="unclosed-flow"),
        pytest.param("a: 1\na: 2\n", 2, "duplicate key 'a'", id="duplicate-key"),
        pytest.param("a: b: c\n", 1, "mapping values are not allowed", id="bad-mapping"),
        pytest.param("a: 1\n---\nb: 2\n", 2, "single document", id="two-documents"),
    ],
)
def test_load_yaml_reports_syntax_errors_with_position(
    loader: Callable[[str], Any], text: str, line: int, message: str
) -> None:
    with pytest.raises(YAMLSyntaxError, match=message) as info:
        loader(text)
    assert info.value.line == line
    assert info.value.column >= 1
    assert isinstance(info.value, ValueError)


def test_duplicate_key_error_does_not_quote_values() -> None:
    with pytest.raises(YAMLSyntaxError) as info:
        load_yaml("password: hunter2secret\npassword: other-secret\n")
    assert "hunter2secret" not in str(info.value)
    assert "other-secret" not in str(info.value)


def test_load_yaml_file_reads_and_names_file_in_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(SAMPLE, encoding="utf-8")
    assert load_yaml_file(good)["spec"]["alpha"] == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [\n", encoding="utf-8")
    with pytest.raises(YAMLSyntaxError, match=r"bad\.yaml:2:1") as info:
        load_yaml_file(bad)
    assert info.value.source == str(bad)


def test_load_yaml_file_missing_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_yaml_file(tmp_path / "absent.yaml")


def test_dump_yaml_plain_data_indents_lists_and_keeps_long_lines() -> None:
    long_value = "x" * 300
    text = dump_yaml({"items": [{"a": 1, "b": long_value}]})
    assert text == f"items:\n  - a: 1\n    b: {long_value}\n"


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 9):
        prev = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]")
    with pytest.raises(YAMLSyntaxError, match=r"expands to more than"):
        load_yaml_plain("\n".join(lines) + "\n")


def test_a_few_aliases_are_fine() -> None:
    data = load_yaml_plain("base: &b {port: 22}\nhost: *b\n")
    assert data == {"base": {"port": 22}, "host": {"port": 22}}


def test_load_yaml_all_reads_every_document_and_drops_empty_ones() -> None:
    from kubexm.util.yamlio import load_yaml_all

    docs = load_yaml_all("---\n# note\na: 1\n---\n---\nb: [1, 2]\n")

    assert [dict(d) for d in docs] == [{"a": 1}, {"b": [1, 2]}]


def test_load_yaml_all_reports_the_source_of_bad_syntax() -> None:
    from kubexm.util.yamlio import load_yaml_all

    with pytest.raises(YAMLSyntaxError, match=r"m.yaml"):
        load_yaml_all("a: 1\n---\nb: [\n", source="m.yaml")


def test_dump_yaml_all_separates_documents_and_keeps_literal_blocks() -> None:
    from kubexm.util.yamlio import dump_yaml_all, literal_block, load_yaml_all

    docs = load_yaml_all("a: 1\n---\nb: x\n")
    docs[1]["b"] = literal_block("line one\nline two\n")

    text = dump_yaml_all(docs)

    assert text == "a: 1\n---\nb: |\n  line one\n  line two\n"
    assert load_yaml_all(text)[1]["b"] == "line one\nline two\n"


LOADERS = [load_yaml, load_yaml_plain, load_yaml_all]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("a: 1\nb: !!int S3cretInt\n", "!!int"),
        ("a: 1\nb: !!float S3cretFloat\n", "!!float"),
        ("a: 1\nb: !!bool S3cretBool\n", "!!bool"),
        ("a: 1\nb: !!int 0b2\n", "!!int"),
    ],
    ids=["int", "float", "bool", "binary-digit"],
)
def test_a_value_that_does_not_fit_its_tag_is_a_syntax_error_quoting_no_value(
    loader: Callable[[str], Any], text: str, tag: str
) -> None:
    with pytest.raises(YAMLSyntaxError) as err:
        loader(text)
    assert (err.value.line, err.value.column) == (2, 4)
    assert err.value.message == f"the value cannot be read as {tag}"
    assert "s3cret" not in str(err.value).lower()


def test_a_document_nested_too_deeply_is_a_syntax_error() -> None:
    with pytest.raises(YAMLSyntaxError, match="nested too deeply"):
        load_yaml_plain("a: " + "[" * 5000)


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: f.__name__)
def test_a_reused_anchor_loads_without_a_warning_that_prints_the_lines(
    loader: Callable[[str], Any],
) -> None:
    # pytest turns warnings into errors: ruamel's warning would fail this test.
    loader("a: &x S3cretOne\nb: *x\nc: &x S3cretTwo\n")


def test_token_texts_reads_names_and_scalars_as_yaml_does() -> None:
    text = "k: !e!T%21g &Anc *Ali [\"q\\x41\", 'it''s', !<tag:v> w]\n"
    assert token_texts(text) == [
        "k", "!e!", "T!g", "!e!T!g", "Anc", "Ali", "qA", "it's", "tag:v", "w",
    ]  # fmt: skip


def test_token_texts_under_keys_takes_whole_values_only() -> None:
    text = (
        "password: [\n  *Multi, {k: v} ]\nother: plain\n"
        'auth: &A "x" trailing\nhosts: {password: inner, name: n1}\n'
    )
    assert token_texts(text, under_keys={"password", "auth"}) == [
        "Multi", "k", "v", "A", "x", "trailing", "inner",
    ]  # fmt: skip


def test_token_texts_stops_quietly_at_a_scanner_error() -> None:
    assert token_texts('a: *Ali\nb: "open\\q"\n') == ["a", "Ali", "b"]
