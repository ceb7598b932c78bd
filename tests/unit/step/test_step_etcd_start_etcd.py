"""StartEtcd: start without blocking, restart only on a changed digest."""

from __future__ import annotations

from etcd_step_helpers import Ctx, converge, with_systemd

from kubexm.step.etcd.start_etcd import STAMP, StartEtcd


async def test_start_etcd_starts_with_no_block_and_records_the_digest() -> None:
    ctx = Ctx()
    systemd = with_systemd(ctx, "etcd.service")

    await converge(StartEtcd("d1"), ctx)

    unit = systemd.units["etcd.service"]
    assert unit.active and unit.enabled == "enabled"
    assert any("start --no-block etcd.service" in cmd for cmd in ctx.conn.ran)
    assert ctx.conn.text(STAMP) == "d1\n"


async def test_start_etcd_restarts_a_running_member_when_the_digest_differs() -> None:
    ctx = Ctx()
    with_systemd(ctx, "etcd.service")
    await StartEtcd("d1").run(ctx)

    await converge(StartEtcd("d2"), ctx)

    assert any(cmd.startswith("systemctl restart etcd.service") for cmd in ctx.conn.ran)
    assert ctx.conn.text(STAMP) == "d2\n"


async def test_start_etcd_enables_a_running_but_disabled_member() -> None:
    ctx = Ctx()
    systemd = with_systemd(ctx, "etcd.service")
    await StartEtcd("d1").run(ctx)
    systemd.units["etcd.service"].enabled = "disabled"

    await converge(StartEtcd("d1"), ctx)
    assert systemd.units["etcd.service"].enabled == "enabled"
    assert not any("restart" in cmd for cmd in ctx.conn.ran)
