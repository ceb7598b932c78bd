"""WriteTimezone: /etc/localtime points at the configured zone."""

from __future__ import annotations

import pytest
from fakeconn import OK, FakeConnection
from stepctx import Ctx, converge

from kubexm.connector.base import Result
from kubexm.errors import KubexmError
from kubexm.step.os.write_timezone import WriteTimezone


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
