"""probe_sudo / slow_sudo_warning against canned sudo outputs."""

from __future__ import annotations

import pytest

from kubexm.connector.base import Result
from kubexm.connector.commands import SudoMode
from kubexm.connector.sudo import SLOW_SUDO_SECONDS, probe_sudo, slow_sudo_warning
from kubexm.errors import AuthError, ConnectError

NEEDS_PW = Result(1, "", "sudo: a password is required\n")


class FakeSudo:
    """Answers the probe's commands in order and records what it was sent."""

    def __init__(self, *answers: Result) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, bytes | None]] = []

    async def __call__(self, command: str, data: bytes | None) -> Result:
        self.sent.append((command, data))
        return self.answers.pop(0)


async def test_nopasswd_sudo_is_detected_with_one_command() -> None:
    fake = FakeSudo(Result(0, "", ""))

    mode, _ = await probe_sudo(fake, "n1", "ops", None)

    assert mode is SudoMode.NOPASSWD
    assert fake.sent == [("sudo -n -- true", None)]


async def test_password_sudo_is_checked_with_the_password_on_stdin() -> None:
    fake = FakeSudo(NEEDS_PW, Result(0, "", ""))

    mode, _ = await probe_sudo(fake, "n1", "ops", "pw1")

    assert mode is SudoMode.PASSWORD
    command, data = fake.sent[1]
    assert "pw1" not in command and data == b"pw1\n"


async def test_password_needed_but_not_configured_explains_both_fixes() -> None:
    with pytest.raises(ConnectError, match="sudo needs a password for ops") as caught:
        await probe_sudo(FakeSudo(NEEDS_PW), "n1", "ops", None)

    assert "NOPASSWD" in caught.value.hint


@pytest.mark.parametrize(
    "stderr",
    ["Sorry, try again.\nsudo: 1 incorrect password attempt\n", "sudo: incorrect password"],
    ids=["sorry-try-again", "incorrect-password"],
)
async def test_wrong_sudo_password_is_an_auth_error(stderr: str) -> None:
    fake = FakeSudo(NEEDS_PW, Result(1, "", stderr))

    with pytest.raises(AuthError, match="sudo rejected the password of ops"):
        await probe_sudo(fake, "n1", "ops", "bad")


@pytest.mark.parametrize(
    ("first", "message"),
    [
        pytest.param(Result(127, "", "sh: 1: sudo: not found"), "not installed", id="missing"),
        pytest.param(
            Result(1, "", "ops is not in the sudoers file."), "may not use sudo", id="not-sudoer"
        ),
        pytest.param(Result(1, "", "sudo: weird failure"), "sudo failed", id="other"),
    ],
)
async def test_sudo_that_cannot_work_is_a_connect_error(first: Result, message: str) -> None:
    with pytest.raises(ConnectError, match=message):
        await probe_sudo(FakeSudo(first), "n1", "ops", "pw")


async def test_user_refused_after_password_is_a_connect_error() -> None:
    fake = FakeSudo(NEEDS_PW, Result(1, "", "ops is not in the sudoers file."))

    with pytest.raises(ConnectError, match="may not use sudo"):
        await probe_sudo(fake, "n1", "ops", "pw")


async def test_unexplained_password_failure_is_a_connect_error() -> None:
    fake = FakeSudo(NEEDS_PW, Result(1, "", "sudo: something odd"))

    with pytest.raises(ConnectError, match="sudo with password failed"):
        await probe_sudo(fake, "n1", "ops", "pw")


@pytest.mark.parametrize(
    ("seconds", "warns"),
    [(0.2, False), (SLOW_SUDO_SECONDS, False), (3.4, True)],
    ids=["fast", "at-limit", "slow"],
)
def test_slow_sudo_warning(seconds: float, warns: bool) -> None:
    warning = slow_sudo_warning("n1", seconds)

    assert (warning is not None) is warns
    if warning:
        assert "3.4s" in warning and "/etc/hosts" in warning and "!fqdn" in warning
