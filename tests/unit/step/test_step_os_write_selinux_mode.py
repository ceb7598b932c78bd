"""WriteSelinuxMode: permissive now, disabled in the config."""

from __future__ import annotations

from fakeconn import OK, FakeConnection
from stepctx import Ctx, converge

from kubexm.connector.base import Result
from kubexm.step.os.write_selinux_mode import WriteSelinuxMode


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
