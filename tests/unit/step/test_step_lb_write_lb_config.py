"""WriteLbConfig: a candidate validated by the tool, moved into place, reloaded if running."""

from __future__ import annotations

import pytest
from fakeconn import OK, FakeConnection
from lb_step_helpers import Ctx, converge, with_systemd

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.runner.host import Host
from kubexm.step.lb.render import CHECK_SCRIPT
from kubexm.step.lb.tools import TOOLS
from kubexm.step.lb.write_lb_config import CANDIDATE_SUFFIX, WriteLbConfig, install_checked

CFG = TOOLS["haproxy"].path


def accept(argv: list[str], fake: FakeConnection) -> Result:
    assert fake.exists(argv[-1]) and argv[-1].endswith(CANDIDATE_SUFFIX), argv
    return OK


def reject(argv: list[str], fake: FakeConnection) -> Result:
    return Result(1, "", "[ALERT] parsing [haproxy.cfg:3]: unknown keyword 'bogus'\n")


async def test_write_lb_config_installs_a_validated_config_and_leaves_a_stopped_service() -> None:
    ctx = Ctx()
    systemd = with_systemd(ctx, "haproxy")
    ctx.conn.on("haproxy", accept)

    await converge(WriteLbConfig("haproxy", "global\n"), ctx)

    assert ctx.conn.text(CFG) == "global\n"
    assert not ctx.conn.exists(CFG + CANDIDATE_SUFFIX)
    assert not any("reload" in cmd for cmd in ctx.conn.ran), "a stopped service is not reloaded"
    assert not systemd.units["haproxy.service"].active


async def test_write_lb_config_reloads_a_running_service_when_the_config_changed() -> None:
    ctx = Ctx()
    with_systemd(ctx, "nginx", active=True)
    ctx.conn.on("nginx", accept)
    ctx.conn.write(TOOLS["nginx"].path, "old\n")

    await converge(WriteLbConfig("nginx", "new\n"), ctx)

    assert ctx.conn.text(TOOLS["nginx"].path) == "new\n"
    assert [c for c in ctx.conn.ran if "reload" in c] == [
        "systemctl reload-or-restart nginx.service"
    ]
    assert not any("systemctl restart" in c for c in ctx.conn.ran)


async def test_write_lb_config_does_nothing_when_the_config_matches() -> None:
    ctx = Ctx()
    with_systemd(ctx, "haproxy", active=True)
    ctx.conn.write(CFG, "same\n")

    assert await WriteLbConfig("haproxy", "same\n").check(ctx)
    await WriteLbConfig("haproxy", "same\n").run(ctx)
    assert ctx.conn.puts == [] and not any("reload" in c for c in ctx.conn.ran)


async def test_an_invalid_config_keeps_the_live_one_and_removes_the_candidate() -> None:
    ctx = Ctx()
    with_systemd(ctx, "haproxy", active=True)
    ctx.conn.on("haproxy", reject)
    ctx.conn.write(CFG, "good\n")

    with pytest.raises(CommandError) as caught:
        await WriteLbConfig("haproxy", "bogus\n").run(ctx)

    assert ctx.conn.text(CFG) == "good\n"
    assert not ctx.conn.exists(CFG + CANDIDATE_SUFFIX)
    assert "unknown keyword" in caught.value.stderr and "kept" in (caught.value.hint or "")


async def test_keepalived_config_is_root_only_and_its_check_script_executable() -> None:
    ctx = Ctx()
    with_systemd(ctx, "keepalived")
    ctx.conn.on("keepalived", accept)
    step = WriteLbConfig("keepalived", "auth_pass s3cr3t\n", ((CHECK_SCRIPT, "#!/bin/sh\n"),))

    await converge(step, ctx)

    assert ctx.conn.files[TOOLS["keepalived"].path].mode == 0o600
    assert ctx.conn.files[CHECK_SCRIPT].mode == 0o755
    assert "s3cr3t" not in repr(step), "the VRRP password never shows in a repr"
    assert step.describe() == "Write keepalived config"


async def test_install_checked_in_dry_run_records_only() -> None:
    fake = FakeConnection()
    dry = Host(fake, dry_run=True)
    result = await install_checked(dry, TOOLS["haproxy"], "x\n")
    assert result.changed and fake.puts == []
    assert dry.recorder.lines() == [f"[node1] would write {CFG} (validated)"]
