"""WriteTimezone: /etc/localtime points at the configured zone."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from fakeconn import OK, FakeConnection

from kubexm.cache import Scope, ScopedCache
from kubexm.connector.base import Result
from kubexm.errors import KubexmError
from kubexm.step import Step
from kubexm.step.os.write_timezone import WriteTimezone


@dataclass
class Ctx:
    conn: FakeConnection
    host: str = "node1"
    dry_run: bool = False

    @property
    def facts(self) -> dict[str, object]:
        return {}

    @property
    def cache(self) -> ScopedCache:
        return ScopedCache(Scope.STEP)

    @property
    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        return logging.LoggerAdapter(logging.getLogger("test.os"), {})


async def converge(step: Step, ctx: Ctx) -> None:
    """check says not done, run does it, check then says done (nothing left to change)."""
    assert await step.check(ctx) is False
    await step.run(ctx)
    assert await step.check(ctx) is True


def _fake() -> FakeConnection:
    fake = FakeConnection()
    fake.links["/etc/localtime"] = "/usr/share/zoneinfo/Etc/UTC"
    return fake


async def test_write_timezone_links_zone_then_changes_nothing() -> None:
    fake = _fake()
    fake.write("/usr/share/zoneinfo/Asia/Shanghai", "TZif")

    def set_zone(cmd: str, f: FakeConnection) -> Result:
        f.links["/etc/localtime"] = "/usr/share/zoneinfo/Asia/Shanghai"
        return OK

    fake.script("timedatectl set-timezone", set_zone)
    await converge(WriteTimezone("Asia/Shanghai"), Ctx(fake))


async def test_write_timezone_fails_with_hint_for_unknown_zone() -> None:
    with pytest.raises(KubexmError, match="unknown timezone"):
        await WriteTimezone("Mars/Olympus").run(Ctx(_fake()))
