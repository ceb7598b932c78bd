"""Command lines, stdin and result vetting shared by both transports."""

from __future__ import annotations

import logging

import pytest

from kubexm.connector.base import Result
from kubexm.connector.commands import (
    SudoMode,
    build_command,
    build_stdin,
    finish,
    sudo_prefix,
    timed_out,
)
from kubexm.errors import CommandError, CommandTimeout


@pytest.mark.parametrize(
    ("mode", "prefix"),
    [
        pytest.param(SudoMode.NONE, "", id="none"),
        pytest.param(SudoMode.NOPASSWD, "sudo -n -- ", id="nopasswd-never-prompts"),
        pytest.param(SudoMode.PASSWORD, "sudo -k -S -p '' -- ", id="password-on-stdin"),
    ],
)
def test_sudo_prefix(mode: SudoMode, prefix: str) -> None:
    assert sudo_prefix(mode) == prefix


def test_build_command_quotes_the_command_for_sh() -> None:
    assert build_command("echo 'a b' | wc -c") == "sh -c 'echo '\"'\"'a b'\"'\"' | wc -c'"


def test_build_command_wraps_sudo_timeout_env_outside_in() -> None:
    line = build_command("true", sudo=SudoMode.NOPASSWD, env={"A": "x y"}, timeout=5)

    assert line == "sudo -n -- timeout -k 2 5.000 env A='x y' sh -c true"


def test_build_command_never_contains_the_sudo_password() -> None:
    line = build_command("cat /etc/shadow", sudo=SudoMode.PASSWORD)
    data = build_stdin(SudoMode.PASSWORD, "pw-secret", None)

    assert "pw-secret" not in line
    assert data == b"pw-secret\n"


@pytest.mark.parametrize("name", ["1A", "A-B", "A B", ""], ids=["digit", "dash", "space", "empty"])
def test_build_command_rejects_invalid_env_names(name: str) -> None:
    with pytest.raises(ValueError, match="invalid environment variable name"):
        build_command("true", env={name: "v"})


@pytest.mark.parametrize(
    ("mode", "password", "data", "expected"),
    [
        pytest.param(SudoMode.NONE, "pw", "abc", b"abc", id="no-sudo-passes-data"),
        pytest.param(SudoMode.NONE, None, None, None, id="nothing"),
        pytest.param(SudoMode.NOPASSWD, "pw", b"abc", b"abc", id="nopasswd-passes-data"),
        pytest.param(SudoMode.PASSWORD, "pw", b"abc", b"pw\nabc", id="password-line-first"),
    ],
)
def test_build_stdin(
    mode: SudoMode, password: str | None, data: str | bytes | None, expected: bytes | None
) -> None:
    assert build_stdin(mode, password, data) == expected


@pytest.mark.parametrize(
    ("status", "elapsed", "timeout", "expected"),
    [
        pytest.param(124, 5.0, 5.0, True, id="term-at-deadline"),
        pytest.param(137, 7.0, 5.0, True, id="kill-after-grace"),
        pytest.param(124, 0.1, 5.0, False, id="own-exit-124-early"),
        pytest.param(1, 9.0, 5.0, False, id="plain-failure"),
        pytest.param(124, 9.0, None, False, id="no-timeout-asked"),
    ],
)
def test_timed_out(status: int, elapsed: float, timeout: float | None, expected: bool) -> None:
    assert timed_out(status, elapsed, timeout) is expected


def _finish(result: Result, check: bool = True) -> Result:
    return finish(
        "n1", "echo hunter22", result, check=check, secrets=["hunter22"], elapsed=0.1, timeout=None
    )


def test_finish_returns_redacted_output() -> None:
    result = _finish(Result(0, "got hunter22\n", ""))

    assert result == Result(0, "got ******\n", "")


def test_finish_raises_command_error_with_redacted_command_and_output() -> None:
    with pytest.raises(CommandError) as caught:
        _finish(Result(2, "", "bad hunter22\n"))

    assert caught.value.exit_status == 2
    assert "hunter22" not in str(caught.value) and "hunter22" not in caught.value.stderr


def test_finish_without_check_returns_failures() -> None:
    assert _finish(Result(2, "", "x"), check=False).exit_status == 2


def test_finish_raises_timeout_when_timeout_stopped_the_command() -> None:
    with pytest.raises(CommandTimeout, match="timed out after 1s"):
        finish(
            "n1", "sleep 9", Result(124, "", ""), check=False, secrets=[], elapsed=1.0, timeout=1.0
        )


def test_finish_logs_command_redacted_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="kubexm.connector"):
        _finish(Result(0, "", ""))

    assert "echo ******" in caplog.text and "hunter22" not in caplog.text
