from __future__ import annotations

import pytest

from kubexm.util.redact import MASK, redact, redact_fragments, secret_fragments

PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACBvS0x8mFqUuR0\n"
    "Aw==\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        pytest.param("pw=hunter2", ["hunter2"], f"pw={MASK}", id="single"),
        pytest.param("a hunter2 b hunter2", ["hunter2"], f"a {MASK} b {MASK}", id="repeated"),
        pytest.param("token abc123", ["", "abc123"], f"token {MASK}", id="empty-ignored"),
        pytest.param("nothing here", ["hunter2"], "nothing here", id="absent"),
    ],
)
def test_redact_masks_each_secret(text: str, secrets: list[str], expected: str) -> None:
    assert redact(text, secrets) == expected


def test_redact_longest_first_masks_whole_secret() -> None:
    assert redact("key=abcdef", ["abc", "abcdef"]) == f"key={MASK}"


def test_redact_masks_lines_of_multiline_secret() -> None:
    indented = "  " + PEM.replace("\n", "\n  ")
    out = redact(f"writing key:\n{indented}", [PEM])
    assert "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUA" not in out
    assert "QyNTUxOQAAACBvS0x8mFqUuR0" not in out
    assert out.startswith("writing key:\n")


def test_secret_fragments_skip_short_lines_and_sort_longest_first() -> None:
    fragments = secret_fragments([PEM, "pw"])
    assert "Aw==" not in fragments
    assert "pw" in fragments
    assert fragments[0] == PEM
    assert [len(f) for f in fragments] == sorted((len(f) for f in fragments), reverse=True)


def test_redact_fragments_uses_prepared_list() -> None:
    assert redact_fragments("a-secret-b", ["secret"]) == f"a-{MASK}-b"


def test_short_secret_is_masked_only_where_it_stands_alone() -> None:
    text = "spec.hosts[0].adress: unknown key; password e was wrong"
    assert redact(text, ["e"]) == "spec.hosts[0].adress: unknown key; password ****** was wrong"


def test_short_secret_next_to_punctuation_is_masked() -> None:
    assert redact("login=root:p4ss@host", ["p4ss"]) == "login=root:******@host"
