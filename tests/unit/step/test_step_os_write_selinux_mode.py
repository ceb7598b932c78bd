"""WriteSelinuxMode: permissive now, disabled in the config."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fakeconn import OK, FakeConnection

from kubexm.cache import Scope, ScopedCache
from kubexm.connector.base import Result
from kubexm.step import Step
from kubexm.step.os.write_selinux_mode import WriteSelinuxMode


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


async def test_write_selinux_mode_sets_permissive_and_config_then_changes_nothing() -> None:
    fake = FakeConnection()
    state = {"mode": "Enforcing", "config": "SELINUX=enforcing"}
    fake.script("getenforce", lambda c, f: Result(0, f"{state['mode']}\n{state['config']}\n", ""))

    def permissive(cmd: str, f: FakeConnection) -> Result:
        state["mode"] = "Permissive"
        return OK

    def disable(cmd: str, f: FakeConnection) -> Result:
        state["config"] = "SELINUX=disabled"
        return OK

    fake.script("setenforce 0", permissive)
    fake.script("sed -i -E 's/^SELINUX=", disable)
    await converge(WriteSelinuxMode(), Ctx(fake))
    assert state == {"mode": "Permissive", "config": "SELINUX=disabled"}
