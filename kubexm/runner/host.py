"""The handle every runner operation takes: one connection, the sudo choice, and the dry-run gate.

Reads (``Host.run``, ``Host.test``) always execute, also in dry-run, because deciding what
would change needs the real state. Every mutation goes through ``Host.change``: in dry-run it
records ``would <what>`` and returns a changed result without executing anything; otherwise
it executes and records ``<what>``. Steps never look at the dry-run flag themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kubexm.connector.base import Connection, Result
from kubexm.errors import CommandError

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpResult:
    """What an ``ensure_*`` operation did: ``changed`` and a short human ``detail``."""

    changed: bool
    detail: str = ""

    @staticmethod
    def unchanged(detail: str = "") -> OpResult:
        return OpResult(False, detail)


def combine(results: Iterable[OpResult]) -> OpResult:
    """One result for several sub-operations: changed when any changed, details joined."""
    items = list(results)
    details = [r.detail for r in items if r.changed and r.detail]
    return OpResult(any(r.changed for r in items), "; ".join(details))


@dataclass(frozen=True)
class Record:
    """One mutation seen by the gate; ``executed`` is False in dry-run."""

    host: str
    action: str
    executed: bool

    def __str__(self) -> str:
        verb = self.action if self.executed else f"would {self.action}"
        return f"[{self.host}] {verb}"


@dataclass
class Recorder:
    """Collects the mutations of one or many hosts, in order (the per-host dry-run report)."""

    records: list[Record] = field(default_factory=list)

    def add(self, record: Record) -> None:
        self.records.append(record)

    def lines(self, host: str | None = None) -> list[str]:
        """The records as ``[host] would write /etc/x`` lines, optionally for one host."""
        return [str(r) for r in self.records if host is None or r.host == host]


class Host:
    """One host as the runner sees it.

    ``sudo`` makes every command and transfer run as root (the connection decides how);
    ``dry_run`` turns every mutation into a recorded ``would ...``.
    """

    def __init__(
        self,
        conn: Connection,
        *,
        sudo: bool = True,
        dry_run: bool = False,
        recorder: Recorder | None = None,
    ) -> None:
        self.conn = conn
        self.sudo = sudo
        self.dry_run = dry_run
        self.recorder = recorder if recorder is not None else Recorder()

    @property
    def name(self) -> str:
        return self.conn.host

    async def run(
        self,
        cmd: str,
        *,
        check: bool = True,
        timeout: float | None = 60.0,
        env: Mapping[str, str] | None = None,
        stdin: str | bytes | None = None,
    ) -> Result:
        """Run a read-only command, also in dry-run.

        Raises ``CommandError`` on a non-zero exit when ``check``, ``CommandTimeout`` after
        ``timeout`` seconds (the remote process is killed by the connection).
        """
        return await self.conn.run(
            cmd, sudo=self.sudo, check=check, timeout=timeout, env=env, stdin=stdin
        )

    async def test(self, cmd: str, *, timeout: float | None = 60.0) -> bool:
        """True when ``cmd`` exits 0; a non-zero exit is an answer, not an error."""
        result = await self.run(cmd, check=False, timeout=timeout)
        return result.ok

    async def change(self, what: str, action: Callable[[], Awaitable[object]]) -> OpResult:
        """The single dry-run gate: execute ``action`` (or only record it) and report it.

        ``what`` is the imperative description (``write /etc/x``). Errors of ``action``
        propagate unchanged; nothing is recorded for a failed action.
        """
        if self.dry_run:
            self.recorder.add(Record(self.name, what, executed=False))
            _log.info("[%s] would %s", self.name, what)
            return OpResult(True, f"would {what}")
        await action()
        self.recorder.add(Record(self.name, what, executed=True))
        _log.info("[%s] %s", self.name, what)
        return OpResult(True, what)

    async def execute(self, what: str, cmd: str, *, timeout: float | None = 300.0) -> OpResult:
        """Run the mutating shell command ``cmd`` through the gate.

        Raises ``CommandError`` when it exits non-zero, ``CommandTimeout`` after ``timeout``.
        """

        async def action() -> None:
            await self.run(cmd, timeout=timeout)

        return await self.change(what, action)

    async def put(
        self, data: bytes | Path, remote: str, *, mode: int = 0o644, owner: str | None = None
    ) -> bool:
        """Transfer a file; only call this inside a ``change`` action. Raises TransferError."""
        return await self.conn.put(data, remote, mode=mode, owner=owner, sudo=self.sudo)

    async def wait(self, what: str, cmd: str, *, timeout: float, hint: str) -> None:
        """Run a remote polling loop ``cmd`` that exits 0 once ``what`` holds.

        In dry-run only ``would wait for <what>`` is recorded, since the state waited for is
        usually the effect of a mutation that did not happen. Raises ``CommandError`` with
        ``hint`` when the loop gives up, ``CommandTimeout`` when the loop itself hangs.
        """
        if self.dry_run:
            self.recorder.add(Record(self.name, f"wait for {what}", executed=False))
            return
        result = await self.run(cmd, check=False, timeout=timeout + 30.0)
        if not result.ok:
            raise CommandError(
                self.name,
                f"wait for {what} ({timeout:g}s)",
                result.exit_status,
                result.stdout,
                result.stderr,
                hint=hint,
            )


def poll_script(check: str, timeout: float, interval: float = 1.0) -> str:
    """A POSIX sh loop that exits 0 as soon as ``check`` succeeds, 1 after ``timeout`` s."""
    return (
        f"end=$(( $(date +%s) + {int(timeout)} )); "
        f"while :; do {check} && exit 0; "
        f'[ "$(date +%s)" -ge "$end" ] && exit 1; sleep {interval:g}; done'
    )
