"""WriteHostsBlock: the kubexm block of /etc/hosts, other lines kept."""

from __future__ import annotations

from fakeconn import FakeConnection
from stepctx import Ctx, converge

from kubexm.step.os.write_hosts_block import WriteHostsBlock


async def test_write_hosts_block_keeps_localhost_and_own_name_then_changes_nothing() -> None:
    fake = FakeConnection()
    fake.write("/etc/hosts", "127.0.0.1 localhost\n127.0.1.1 node1\n")
    step = WriteHostsBlock((("10.0.0.1", ("node1", "node1.cluster.local")),))

    await converge(step, Ctx(fake))
    text = fake.text("/etc/hosts")
    assert text.startswith("127.0.0.1 localhost\n127.0.1.1 node1\n")
    assert "10.0.0.1 node1 node1.cluster.local\n" in text
    assert "(1 entries)" in step.describe()
