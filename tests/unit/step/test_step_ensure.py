"""EnsureStep: check is a dry run of ensure, run does it for real."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar

from fakeconn import FakeConnection

from kubexm.cache import Scope, ScopedCache
from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult
from kubexm.step.ensure import EnsureStep


@dataclass(frozen=True)
class WriteMotd(EnsureStep):
    name: ClassVar[str] = "test/write-motd"
    title: ClassVar[str] = "Write motd"
    text: str

    async def ensure(self, host: Host) -> OpResult:
        return await ensure_file(host, "/etc/motd", self.text, mode=0o644)


@dataclass
class Ctx:
    conn: FakeConnection
    host: str = "n1"
    dry_run: bool = False

    @property
    def facts(self) -> dict[str, object]:
        return {}

    @property
    def cache(self) -> ScopedCache:
        return ScopedCache(Scope.STEP)

    @property
    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        return logging.LoggerAdapter(logging.getLogger("test"), {})


async def test_check_is_false_until_run_then_true() -> None:
    ctx = Ctx(FakeConnection("n1"))
    step = WriteMotd("hello\n")

    assert await step.check(ctx) is False
    assert not ctx.conn.exists("/etc/motd"), "check must not write"
    await step.run(ctx)
    assert ctx.conn.text("/etc/motd") == "hello\n"
    assert await step.check(ctx) is True
