"""The local transport on this machine (tests run as root in CI; root-only cases skip)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubexm.connector import local as local_module
from kubexm.connector.base import Connection
from kubexm.connector.local import LocalConnection
from kubexm.connector.settings import LocalSettings
from kubexm.errors import CommandError, CommandTimeout, TransferError

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


@pytest.fixture
def conn() -> LocalConnection:
    return LocalConnection(LocalSettings(host_name="control"))


def test_local_connection_satisfies_the_contract(conn: LocalConnection) -> None:
    assert isinstance(conn, Connection)
    assert conn.host == "control" and conn.is_root is (os.geteuid() == 0)


async def test_run_returns_exit_status_and_output(conn: LocalConnection) -> None:
    result = await conn.run("echo out; echo err >&2; exit 3", check=False)

    assert (result.exit_status, result.stdout, result.stderr) == (3, "out\n", "err\n")


async def test_run_with_check_raises_command_error(conn: LocalConnection) -> None:
    with pytest.raises(CommandError, match=r"\[control\] command failed \(exit 1\): false"):
        await conn.run("false")


async def test_run_passes_env_and_stdin(conn: LocalConnection) -> None:
    result = await conn.run('printf "%s:" "$K"; cat', env={"K": "v w"}, stdin="in")

    assert result.stdout == "v w:in"


async def test_timeout_kills_the_command_and_its_children(conn: LocalConnection) -> None:
    with pytest.raises(CommandTimeout):
        await conn.run("sleep 1236.5 & sleep 1236.5", timeout=0.5)

    left = await conn.run("pgrep -f 'sleep 123[6].5'", check=False)
    assert left.exit_status == 1, left.stdout


async def test_backstop_kills_the_process_group_when_timeout_does_not(
    conn: LocalConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A negative grace makes the local backstop fire before the command's own `timeout`.
    monkeypatch.setattr(local_module, "BACKSTOP_GRACE", -0.7)

    with pytest.raises(CommandTimeout, match="timed out after 1s"):
        await conn.run("sleep 1237.5", timeout=1)

    left = await conn.run("pgrep -f 'sleep 123[7].5'", check=False)
    assert left.exit_status == 1, left.stdout


@needs_root
async def test_sudo_as_root_runs_the_command_unwrapped(conn: LocalConnection) -> None:
    assert (await conn.run("id -u", sudo=True)).stdout == "0\n"


async def test_put_writes_then_skips_when_unchanged(conn: LocalConnection, tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.conf"

    first = await conn.put(b"a=1\n", str(target), mode=0o640)
    second = await conn.put(b"a=1\n", str(target), mode=0o640)
    third = await conn.put(b"a=2\n", str(target), mode=0o640)

    assert (first, second, third) == (True, False, True)
    assert target.read_bytes() == b"a=2\n" and target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.conf"]


@needs_root
async def test_put_sets_owner(conn: LocalConnection, tmp_path: Path) -> None:
    target = tmp_path / "owned"
    source = tmp_path / "src"
    source.write_bytes(b"x")

    await conn.put(source, str(target), mode=0o600, owner="nobody")

    assert target.owner() == "nobody"
    assert await conn.put(source, str(target), mode=0o600, owner="nobody") is False


async def test_put_into_a_file_path_fails_with_transfer_error(
    conn: LocalConnection, tmp_path: Path
) -> None:
    (tmp_path / "plain").write_text("")

    with pytest.raises(TransferError, match="upload to"):
        await conn.put(b"x", str(tmp_path / "plain" / "child"))


async def test_get_copies_and_creates_parents(conn: LocalConnection, tmp_path: Path) -> None:
    (tmp_path / "src").write_bytes(b"hello")

    await conn.get(str(tmp_path / "src"), tmp_path / "a" / "b" / "dst")

    assert (tmp_path / "a" / "b" / "dst").read_bytes() == b"hello"


async def test_get_missing_file_is_a_transfer_error(conn: LocalConnection, tmp_path: Path) -> None:
    with pytest.raises(TransferError, match="download of"):
        await conn.get(str(tmp_path / "none"), tmp_path / "dst")


async def test_upload_file_is_private_and_exclusive(conn: LocalConnection, tmp_path: Path) -> None:
    await conn.upload_file(b"s", str(tmp_path / "t"))

    assert (tmp_path / "t").stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        await conn.upload_file(b"s", str(tmp_path / "t"))


async def test_close_is_a_no_op_that_can_repeat(conn: LocalConnection) -> None:
    await conn.close()
    await conn.close()
    assert (await conn.run("true")).ok
