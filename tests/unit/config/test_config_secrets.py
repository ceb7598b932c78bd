import pytest

from kubexm.config.secrets import secrets_in_data, secrets_in_text


def test_secrets_in_data_finds_values_at_any_depth_once() -> None:
    data = {
        "spec": {
            "global": {"password": "a-pass"},
            "hosts": [{"privateKey": "KEY"}, {"password": "a-pass"}],
            "registry": {"auths": {"r": {"auth": "dXNlcjpwdw=="}}},
            "other": {"name": "password"},
        }
    }
    assert secrets_in_data(data) == ["a-pass", "KEY", "dXNlcjpwdw=="]


def test_secrets_in_data_ignores_empty_and_non_text_values() -> None:
    assert secrets_in_data({"password": "", "privateKey": 5, "auth": {"username": "u"}}) == []


def test_secrets_in_text_scans_broken_yaml() -> None:
    text = "spec:\n  global:\n    password: 'Sekr1t\n  - privateKey: abc # key\n  key: |\n"
    found = secrets_in_text(text)
    assert "'Sekr1t" in found
    assert "Sekr1t" in found
    assert "abc # key" in found


def test_secrets_in_text_reads_block_scalars_not_their_indicator() -> None:
    found = secrets_in_text("privateKey: |\n  KEYLINE\n")
    assert "|" not in found
    assert "KEYLINE\n" in found


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("*S3cretStar", "S3cretStar"),
        ("&S3cretAnchor", "S3cretAnchor"),
        ("!S3cretTag", "S3cretTag"),
        ("*ab", "ab"),
        ("!S3cretTag plain", "!S3cretTag"),
        ("&S3cretAnchor !S3cretTag v", "!S3cretTag"),
        ("!e!S3cretSuffix v", "!e!"),
        ("!<tag:S3cretVerbatim> v", "tag:S3cretVerbatim"),
        ("!S3cret%21Tag v", "!S3cret!Tag"),
        ('!!timestamp "\\x53\\x33cretHex"', "S3cretHex"),
        ("!!timestamp 'S3cret''Quote'", "S3cret'Quote"),
        ("[a, *S3cretInFlow]", "S3cretInFlow"),
        ("{S3cretKey: a, S3cretKey: b}", "S3cretKey"),
        ("*S3cret@Odd", "S3cret@Odd"),
        ('"S3cretUnclosed', "S3cretUnclosed"),
    ],
    ids=[
        "alias", "anchor", "tag", "short-alias", "tag-then-value", "anchor-then-tag",
        "tag-handle", "verbatim-tag", "percent-encoded-tag", "double-quoted-escapes",
        "single-quoted-escape", "flow-sequence", "flow-mapping", "alias-odd-chars",
        "unclosed-quote",
    ],
)  # fmt: skip
def test_secrets_in_text_lists_each_spelling_a_yaml_error_can_quote(value: str, shown: str) -> None:
    assert shown in secrets_in_text(f"spec:\n  global:\n    password: {value}\n")


def test_secrets_in_text_follows_a_flow_value_over_lines() -> None:
    found = secrets_in_text("password: [\n  *S3cretNextLine ]\nname: notSecret\n")
    assert "S3cretNextLine" in found
    assert "notSecret" not in found


def test_secrets_in_text_skips_parts_that_would_only_garble_messages() -> None:
    found = secrets_in_text("password: !!str [a, -, S3cretWord]\n")
    assert "S3cretWord" in found
    assert not {"a", "-", "str", "!!str", "!!"} & set(found)


def test_a_secret_glued_to_its_key_is_found_in_data_and_text() -> None:
    data = {"hosts": [{"name": "a", "password:S3cretGlue": None, "token=Tok3nGlue": 1}]}
    assert secrets_in_data(data) == ["S3cretGlue", "Tok3nGlue"]
    found = secrets_in_text("hosts: [{name: a, password:S3cretGlue}]\n")
    assert "S3cretGlue" in found
