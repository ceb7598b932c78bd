"""An in-memory ``Connection`` for tests and benchmarks: no network, no processes.

Each simulated host has a latency per operation, canned outputs chosen by regular expression,
scripted failures (optionally only the first N times, for retry tests) and an in-memory file
store for ``put``/``get``. A shared ``ChannelMeter`` counts operations in flight across hosts,
so tests can prove concurrency caps.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kubexm.connector.base import Result
from kubexm.errors import CommandError, TransferError

Handler = Callable[[str], Result]


@dataclass
class ChannelMeter:
    """Counts operations in flight; ``peak`` is the highest count seen."""

    current: int = 0
    peak: int = 0

    def enter(self) -> None:
        self.current += 1
        self.peak = max(self.peak, self.current)

    def leave(self) -> None:
        self.current -= 1


@dataclass
class Rule:
    """A canned answer for commands matching ``pattern`` (``re.search``).

    ``error`` is raised instead of returning ``result``; ``times`` limits how often the rule
    applies (None = always), after which later rules or the default answer apply.
    """

    pattern: str
    result: Result = field(default_factory=lambda: Result(0, "", ""))
    error: Exception | None = None
    times: int | None = None
    handler: Handler | None = None

    def matches(self, cmd: str) -> bool:
        return (self.times is None or self.times > 0) and re.search(self.pattern, cmd) is not None


class SimulatedConnection:
    """A fake host implementing the ``Connection`` protocol.

    ``run`` answers from the first matching rule, else exit 0 with no output. With
    ``check=True`` a non-zero exit raises ``CommandError``; a rule's ``error`` is raised as is.
    ``put`` stores bytes and returns False when content and mode are unchanged; ``get`` of a
    missing file raises ``TransferError``. Every operation first waits ``latency`` seconds.
    """

    def __init__(
        self,
        host: str,
        *,
        latency: float = 0.0,
        rules: Iterable[Rule] = (),
        files: Mapping[str, bytes] | None = None,
        meter: ChannelMeter | None = None,
    ) -> None:
        self.host = host
        self.latency = latency
        self.rules: list[Rule] = list(rules)
        self.files: dict[str, bytes] = dict(files or {})
        self.modes: dict[str, int] = {}
        self.commands: list[str] = []
        self.closed = False
        self.meter = meter or ChannelMeter()

    def add_rule(
        self,
        pattern: str,
        result: Result | None = None,
        *,
        error: Exception | None = None,
        times: int | None = None,
        handler: Handler | None = None,
    ) -> Rule:
        """Append a rule; see ``Rule``. Earlier rules win."""
        rule = Rule(pattern, result or Result(0, "", ""), error, times, handler)
        self.rules.append(rule)
        return rule

    async def _wait(self) -> None:
        if self.closed:
            raise TransferError(f"[{self.host}] connection is closed", "reconnect to the host")
        if self.latency > 0:
            await asyncio.sleep(self.latency)

    async def run(
        self,
        cmd: str,
        *,
        sudo: bool = False,
        check: bool = True,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        stdin: str | bytes | None = None,
    ) -> Result:
        self.meter.enter()
        try:
            await self._wait()
            self.commands.append(cmd)
            result = self._answer(cmd)
        finally:
            self.meter.leave()
        if check and not result.ok:
            raise CommandError(self.host, cmd, result.exit_status, result.stdout, result.stderr)
        return result

    def _answer(self, cmd: str) -> Result:
        for rule in self.rules:
            if rule.matches(cmd):
                if rule.times is not None:
                    rule.times -= 1
                if rule.error is not None:
                    raise rule.error
                return rule.handler(cmd) if rule.handler else rule.result
        return Result(0, "", "")

    async def put(
        self,
        src: Path | bytes,
        remote: str,
        *,
        mode: int = 0o644,
        owner: str | None = None,
        sudo: bool = False,
    ) -> bool:
        self.meter.enter()
        try:
            await self._wait()
            data = src if isinstance(src, bytes) else src.read_bytes()
        except OSError as exc:
            raise TransferError(f"[{self.host}] cannot read {src!s}: {exc.strerror}") from exc
        finally:
            self.meter.leave()
        if self.files.get(remote) == data and self.modes.get(remote, mode) == mode:
            return False
        self.files[remote] = data
        self.modes[remote] = mode
        return True

    async def get(self, remote: str, local: Path, *, sudo: bool = False) -> None:
        self.meter.enter()
        try:
            await self._wait()
        finally:
            self.meter.leave()
        if remote not in self.files:
            raise TransferError(f"[{self.host}] no such file: {remote}")
        local.write_bytes(self.files[remote])

    async def close(self) -> None:
        self.closed = True

    def sha256(self, remote: str) -> str | None:
        """The sha256 of a stored file, or None when absent."""
        data = self.files.get(remote)
        return hashlib.sha256(data).hexdigest() if data is not None else None


def simulated_hosts(
    names: Iterable[str],
    *,
    latency: float = 0.0,
    slow: Mapping[str, float] | None = None,
    meter: ChannelMeter | None = None,
) -> dict[str, SimulatedConnection]:
    """One connection per name sharing one meter; ``slow`` multiplies a host's latency."""
    shared = meter or ChannelMeter()
    factors = slow or {}
    return {
        name: SimulatedConnection(name, latency=latency * factors.get(name, 1.0), meter=shared)
        for name in names
    }
