"""WriteHostname: running name and /etc/hostname become the config name."""

from __future__ import annotations

from fakeconn import OK, FakeConnection
from stepctx import Ctx, converge

from kubexm.connector.base import Result
from kubexm.step.os.write_hostname import WriteHostname


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
