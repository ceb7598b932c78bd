"""Shared pieces of the etcd step tests: a step context over a fake host and fake tools."""

from __future__ import annotations

import json
import logging
import shlex
from dataclasses import dataclass, field

from fakeconn import OK, FakeConnection, FakeSystemd, Unit

from kubexm.cache import Scope, ScopedCache
from kubexm.connector.base import Result
from kubexm.plan import Executable


@dataclass
class Ctx:
    """A ``StepContext`` over one fake host."""

    conn: FakeConnection = field(default_factory=lambda: FakeConnection("e1"))
    dry_run: bool = False

    @property
    def host(self) -> str:
        return self.conn.host

    @property
    def facts(self) -> dict[str, object]:
        return {}

    @property
    def cache(self) -> ScopedCache:
        return ScopedCache(Scope.STEP)

    @property
    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        return logging.LoggerAdapter(logging.getLogger("test.etcd"), {})


def with_systemd(ctx: Ctx, *units: str) -> FakeSystemd:
    """``systemctl`` on the fake host knowing ``units`` (stopped, disabled)."""
    systemd = FakeSystemd({u: Unit() for u in units}).install(ctx.conn)
    ctx.conn.script("systemd-analyze verify", OK)
    ctx.conn.on("printf", printf_to_file)
    return systemd


def printf_to_file(argv: list[str], fake: FakeConnection) -> Result:
    """``printf '%s\\n' <value> > <path>`` as the steps write their stamps."""
    assert argv[-2] == ">", argv
    fake.write(argv[-1], argv[-3] + "\n")
    return OK


async def converge(step: Executable, ctx: Ctx) -> None:
    """check says work is due, run does it, and a second check finds nothing to do."""
    before = ctx.conn.snapshot()
    assert await step.check(ctx) is False
    assert ctx.conn.snapshot() == before, "check changed the host"
    await step.run(ctx)
    assert await step.check(ctx) is True


@dataclass
class FakeEtcd:
    """``etcdctl member list/add`` of a running cluster (or of none when ``up`` is False)."""

    members: list[dict[str, object]] = field(default_factory=list)
    up: bool = True
    adds: list[str] = field(default_factory=list)
    #: ``member add`` answers "unhealthy cluster" this many times first (members that were
    #: connected for less than etcd's health interval)
    unhealthy: int = 0

    def install(self, fake: FakeConnection) -> FakeEtcd:
        fake.script(" member list ", self.member_list)
        fake.script(" member add ", self.member_add)
        return self

    def member_list(self, cmd: str, fake: FakeConnection) -> Result:
        if not self.up:
            return Result(1, "", "context deadline exceeded\n")
        return Result(0, json.dumps({"members": self.members}), "")

    def member_add(self, cmd: str, fake: FakeConnection) -> Result:
        if self.unhealthy:
            self.unhealthy -= 1
            return Result(1, "", "Error: etcdserver: unhealthy cluster\n")
        argv = shlex.split(cmd)
        name = argv[argv.index("add") + 1]
        url = next(a for a in argv if a.startswith("--peer-urls=")).split("=", 1)[1]
        self.adds.append(name)
        self.members.append({"ID": 99, "peerURLs": [url]})
        return Result(0, f"Member {name} added\n", "")
