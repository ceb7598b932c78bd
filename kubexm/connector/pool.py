"""Opening connections: one host (``open_connection``) or many at once (``ConnectionPool``).

The pool opens every host in parallel under a cap, keeps the one connection per host that all
later commands share, collects each unreachable host's diagnosis instead of stopping at the
first, and closes everything (bastions included) at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType

from kubexm.connector.base import Connection
from kubexm.connector.local import LocalConnection
from kubexm.connector.settings import LocalSettings, SSHSettings
from kubexm.connector.ssh import Dialer, connect_ssh, dial
from kubexm.errors import ConnectError, KubexmError

log = logging.getLogger("kubexm.connector")

DEFAULT_MAX_PARALLEL = 32

HostSettings = SSHSettings | LocalSettings


async def open_connection(settings: HostSettings, *, dialer: Dialer = dial) -> Connection:
    """Open the connection described by ``settings``: SSH, or local for ``LocalSettings``.

    Raises ``ConnectError`` (or ``AuthError`` / ``HostKeyError``) with a diagnosis.
    """
    if isinstance(settings, LocalSettings):
        return LocalConnection(settings)
    return await connect_ssh(settings, dialer=dialer)


@dataclass
class OpenReport:
    """The outcome of opening many hosts: the connections made and the hosts that failed."""

    connections: dict[str, Connection] = field(default_factory=dict)
    failures: dict[str, KubexmError] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures


class ConnectionPool:
    """One connection per host, opened in parallel (at most ``max_parallel`` dials at once).

    Use as ``async with ConnectionPool() as pool:``; leaving the block closes every connection.
    """

    def __init__(self, max_parallel: int = DEFAULT_MAX_PARALLEL, dialer: Dialer = dial) -> None:
        if max_parallel < 1:
            raise ValueError("max_parallel must be at least 1")
        self._limit = asyncio.Semaphore(max_parallel)
        self._dialer = dialer
        self._connections: dict[str, Connection] = {}

    async def open_all(self, hosts: Iterable[HostSettings]) -> OpenReport:
        """Open every host not open yet; a failure is recorded per host, never raised."""
        unique = {h.host_name: h for h in hosts}  # a host listed twice is opened once
        wanted = [h for name, h in unique.items() if name not in self._connections]
        outcomes = await asyncio.gather(*(self._open_one(h) for h in wanted))
        report = OpenReport()
        for settings, outcome in zip(wanted, outcomes, strict=True):
            if isinstance(outcome, KubexmError):
                report.failures[settings.host_name] = outcome
            else:
                self._connections[settings.host_name] = outcome
        report.connections = dict(self._connections)
        return report

    async def _open_one(self, settings: HostSettings) -> Connection | KubexmError:
        async with self._limit:
            try:
                return await open_connection(settings, dialer=self._dialer)
            except KubexmError as exc:
                log.debug("[%s] not connected: %s", settings.host_name, exc)
                return exc

    def get(self, host_name: str) -> Connection:
        """The open connection of a host. Raises ``ConnectError`` when it is not open."""
        try:
            return self._connections[host_name]
        except KeyError:
            raise ConnectError(host_name, "not connected", "open the host first") from None

    def __contains__(self, host_name: object) -> bool:
        return host_name in self._connections

    async def close_all(self) -> None:
        """Close every connection; one that fails to close does not stop the others."""
        pending, self._connections = list(self._connections.values()), {}
        results = await asyncio.gather(*(c.close() for c in pending), return_exceptions=True)
        for conn, result in zip(pending, results, strict=True):
            if isinstance(result, BaseException):
                log.debug("[%s] close failed: %s", conn.host, result)

    async def __aenter__(self) -> ConnectionPool:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with contextlib.suppress(Exception):
            await self.close_all()
