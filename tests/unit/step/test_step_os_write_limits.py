"""WriteLimits: the limits.d file with soft and hard values for everyone and root."""

from __future__ import annotations

from fakeconn import FakeConnection
from stepctx import Ctx, converge

from kubexm.step.os.write_limits import LIMITS_FILE, WriteLimits, limits_content


def test_limits_content_lists_soft_and_hard_for_all_and_root() -> None:
    text = limits_content((("nofile", "1048576"),))
    for who in ("*", "root"):
        assert f"{who} soft nofile 1048576\n" in text
        assert f"{who} hard nofile 1048576\n" in text


async def test_write_limits_writes_file_then_changes_nothing() -> None:
    fake = FakeConnection()
    fake.dirs["/etc/security"] = (0o755, "root", "root")
    await converge(WriteLimits((("nproc", "65536"),)), Ctx(fake))
    assert "* hard nproc 65536" in fake.text(LIMITS_FILE)
