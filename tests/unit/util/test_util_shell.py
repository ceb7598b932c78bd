from __future__ import annotations

import shlex
from pathlib import PurePosixPath

import pytest

from kubexm.util.shell import ShellArg, join, quote


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("plain", "plain", id="safe-word"),
        pytest.param("a b", "'a b'", id="space"),
        pytest.param("it's", "'it'\"'\"'s'", id="single-quote"),
        pytest.param("$(rm -rf /)", "'$(rm -rf /)'", id="substitution"),
        pytest.param("", "''", id="empty"),
        pytest.param(644, "644", id="int"),
        pytest.param(PurePosixPath("/etc/my dir"), "'/etc/my dir'", id="path"),
    ],
)
def test_quote_makes_values_shell_safe(value: ShellArg, expected: str) -> None:
    assert quote(value) == expected


def test_quote_rejects_bool() -> None:
    with pytest.raises(TypeError, match="bool"):
        quote(True)


def test_join_round_trips_through_shlex_split() -> None:
    args: list[ShellArg] = ["echo", "a b", "c;d", 3]
    command = join(args)
    assert command == "echo 'a b' 'c;d' 3"
    assert shlex.split(command) == ["echo", "a b", "c;d", "3"]
