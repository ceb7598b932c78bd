"""The transport base: command building, redaction and errors, independent of the transport."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubexm.connector.base import Result
from kubexm.connector.shell import ShellConnection
from kubexm.errors import CommandError


class Recording(ShellConnection):
    """Answers every command with ``answer`` and records what it was asked to run."""

    def __init__(self, answer: Result, *, is_root: bool = True) -> None:
        super().__init__("n1", "root", is_root=is_root, sudo_password=None, secrets=("hunter2",))
        self.answer = answer
        self.seen: list[tuple[str, bytes | None]] = []

    async def _exec(
        self, command: str, data: bytes | None, timeout: float | None, shown: str
    ) -> Result:
        self.seen.append((command, data))
        return self.answer

    async def upload_file(self, src: Path | bytes, path: str) -> None:
        raise AssertionError("not used")

    async def download_file(self, path: str, local: Path) -> None:
        raise AssertionError("not used")

    async def exists(self, path: str) -> bool:
        return False

    async def make_dirs(self, path: str) -> None:
        raise AssertionError("not used")

    async def place(self, tmp: str, path: str, mode: int) -> None:
        raise AssertionError("not used")


async def test_run_as_root_needs_no_sudo_and_returns_the_result() -> None:
    conn = Recording(Result(0, "hi\n", ""))
    result = await conn.run("echo hi", sudo=True)
    assert result.stdout == "hi\n"
    command, data = conn.seen[0]
    assert "sudo" not in command and "echo hi" in command
    assert data in (None, b"")


async def test_failed_command_raises_with_secrets_redacted() -> None:
    conn = Recording(Result(3, "", "bad password hunter2"))
    with pytest.raises(CommandError) as failed:
        await conn.run("login --password hunter2")
    assert failed.value.exit_status == 3
    assert "hunter2" not in str(failed.value)
    assert "hunter2" not in failed.value.stderr


async def test_unchecked_failure_is_returned() -> None:
    conn = Recording(Result(1, "", "no"))
    assert (await conn.run("false", check=False)).exit_status == 1


def test_base_cannot_be_used_without_a_transport() -> None:
    abstract: type = ShellConnection  # a plain type, so creating it is the runtime's call
    with pytest.raises(TypeError):
        abstract("n1", "root", is_root=True, sudo_password=None, secrets=())
