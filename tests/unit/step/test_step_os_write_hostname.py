"""WriteHostname: running name and /etc/hostname become the config name."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fakeconn import OK, FakeConnection

from kubexm.cache import Scope, ScopedCache
from kubexm.connector.base import Result
from kubexm.step import Step
from kubexm.step.os.write_hostname import WriteHostname


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


async def test_write_hostname_sets_name_then_changes_nothing() -> None:
    fake = FakeConnection()
    names = {"running": "debian", "stored": "debian"}
    fake.script(
        "hostname; cat /etc/hostname",
        lambda c, f: Result(0, f"{names['running']}\n{names['stored']}\n", ""),
    )

    def set_name(cmd: str, f: FakeConnection) -> Result:
        names["running"] = names["stored"] = cmd.split()[2]
        return OK

    fake.script("hostnamectl set-hostname", set_name)
    await converge(WriteHostname("node1"), Ctx(fake))
    assert names == {"running": "node1", "stored": "node1"}
