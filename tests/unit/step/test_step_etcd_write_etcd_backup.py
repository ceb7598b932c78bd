"""WriteEtcdBackup: script, service and timer in place and active; or all removed."""

from __future__ import annotations

from etcd_step_helpers import Ctx, converge, with_systemd

from kubexm.apis.v1alpha1.etcd import EtcdBackup
from kubexm.step.etcd.render import render_backup
from kubexm.step.etcd.write_etcd_backup import WriteEtcdBackup

SCRIPT_PATH = EtcdBackup().script_path


def step(enabled: bool = True) -> WriteEtcdBackup:
    script, service, timer = render_backup(EtcdBackup())
    return WriteEtcdBackup(SCRIPT_PATH, script, service, timer, enabled=enabled)


async def test_backup_installs_script_and_starts_the_timer() -> None:
    ctx = Ctx()
    systemd = with_systemd(ctx, "etcd-backup.timer", "etcd-backup.service")

    await converge(step(), ctx)

    assert ctx.conn.files[SCRIPT_PATH].mode == 0o755
    assert "OnUnitActiveSec=24h" in ctx.conn.text("/etc/systemd/system/etcd-backup.timer")
    timer = systemd.units["etcd-backup.timer"]
    assert timer.active and timer.enabled == "enabled"


async def test_backup_with_period_zero_removes_what_was_installed() -> None:
    ctx = Ctx()
    systemd = with_systemd(ctx, "etcd-backup.timer", "etcd-backup.service")
    await step().run(ctx)

    await converge(step(enabled=False), ctx)

    assert SCRIPT_PATH not in ctx.conn.files
    assert "/etc/systemd/system/etcd-backup.timer" not in ctx.conn.files
    assert not systemd.units["etcd-backup.timer"].active


async def test_backup_disabled_on_a_clean_host_does_nothing() -> None:
    ctx = Ctx()
    assert await step(enabled=False).check(ctx) is True
    assert step(enabled=False).describe() == "Remove etcd backup timer"
