"""WriteHostsBlock: the kubexm block of /etc/hosts, other lines kept."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fakeconn import FakeConnection

from kubexm.cache import Scope, ScopedCache
from kubexm.step import Step
from kubexm.step.os.write_hosts_block import WriteHostsBlock


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


async def test_write_hosts_block_keeps_localhost_and_own_name_then_changes_nothing() -> None:
    fake = FakeConnection()
    fake.write("/etc/hosts", "127.0.0.1 localhost\n127.0.1.1 node1\n")
    step = WriteHostsBlock((("10.0.0.1", ("node1", "node1.cluster.local")),))

    await converge(step, Ctx(fake))
    text = fake.text("/etc/hosts")
    assert text.startswith("127.0.0.1 localhost\n127.0.1.1 node1\n")
    assert "10.0.0.1 node1 node1.cluster.local\n" in text
    assert "(1 entries)" in step.describe()
