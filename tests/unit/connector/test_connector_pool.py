"""open_connection and ConnectionPool, with injected dialers (no network)."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest

from kubexm.connector.hostkeys import HostKeyPolicy
from kubexm.connector.local import LocalConnection
from kubexm.connector.pool import ConnectionPool, open_connection
from kubexm.connector.settings import LocalSettings, SSHSettings
from kubexm.errors import ConnectError


class FakeSSH:
    """Stands in for asyncssh.SSHClientConnection: only close/wait_closed are used here."""

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True

    async def wait_closed(self) -> None:
        return None


class Dialer:
    """Refuses hosts whose address starts with 'down'; tracks concurrent dials."""

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self.opened: list[FakeSSH] = []

    async def __call__(
        self, settings: SSHSettings, tunnel: object, policy: HostKeyPolicy, keys: object
    ) -> asyncssh.SSHClientConnection:
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.01)
        self.active -= 1
        if settings.address.startswith("down"):
            raise ConnectionRefusedError
        fake = FakeSSH()
        self.opened.append(fake)
        return fake  # type: ignore[return-value]  # duck-typed stand-in


def _host(name: str, address: str | None = None) -> SSHSettings:
    return SSHSettings(name, address or f"{name}.lan", connect_retries=0)


async def test_open_connection_for_local_settings_is_local() -> None:
    conn = await open_connection(LocalSettings())

    assert isinstance(conn, LocalConnection)


async def test_open_connection_uses_ssh_for_ssh_settings() -> None:
    dialer = Dialer()

    conn = await open_connection(_host("n1"), dialer=dialer)

    assert conn.host == "n1" and len(dialer.opened) == 1
    await conn.close()
    assert dialer.opened[0].closed


async def test_open_all_reports_every_failure_and_keeps_the_rest() -> None:
    dialer = Dialer()
    async with ConnectionPool(dialer=dialer) as pool:
        report = await pool.open_all([_host("n1"), _host("n2", "down.lan"), LocalSettings()])

        assert sorted(report.connections) == ["localhost", "n1"]
        assert list(report.failures) == ["n2"] and not report.ok
        assert "connection refused" in str(report.failures["n2"])
        assert "n1" in pool and pool.get("n1").host == "n1"


async def test_open_all_respects_the_parallel_cap() -> None:
    dialer = Dialer()
    pool = ConnectionPool(max_parallel=3, dialer=dialer)

    report = await pool.open_all([_host(f"n{i}") for i in range(10)])

    assert report.ok and len(report.connections) == 10
    assert dialer.peak == 3
    await pool.close_all()


async def test_open_all_opens_each_host_once() -> None:
    dialer = Dialer()
    pool = ConnectionPool(dialer=dialer)

    await pool.open_all([_host("n1"), _host("n1")])
    await pool.open_all([_host("n1"), _host("n2")])

    assert len(dialer.opened) == 2
    await pool.close_all()


async def test_close_all_closes_everything_and_forgets_it() -> None:
    dialer = Dialer()
    pool = ConnectionPool(dialer=dialer)
    await pool.open_all([_host("n1"), _host("n2")])

    await pool.close_all()

    assert all(fake.closed for fake in dialer.opened)
    with pytest.raises(ConnectError, match=r"\[n1\] not connected"):
        pool.get("n1")


def test_pool_rejects_a_cap_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ConnectionPool(max_parallel=0)
