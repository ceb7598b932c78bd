"""WriteEtcdConfig: env file, verified unit and etcdctl wrapper, written once."""

from __future__ import annotations

from etcd_step_helpers import Ctx, converge, with_systemd

from kubexm.step.etcd.render import render_unit, render_wrapper
from kubexm.step.etcd.write_etcd_config import WriteEtcdConfig


async def test_write_etcd_config_writes_three_files_and_reloads_systemd_once() -> None:
    ctx = Ctx()
    systemd = with_systemd(ctx, "etcd.service")
    step = WriteEtcdConfig("ETCD_NAME=e1\n", render_unit(), render_wrapper(2379))

    await converge(step, ctx)

    assert ctx.conn.text("/etc/etcd.env") == "ETCD_NAME=e1\n"
    assert "Type=notify" in ctx.conn.text("/etc/systemd/system/etcd.service")
    assert ctx.conn.files["/usr/local/bin/etcdctl.sh"].mode == 0o755
    assert systemd.reloads == 1
    assert not systemd.units["etcd.service"].active, "writing the config never starts etcd"


async def test_write_etcd_config_rewrites_only_a_changed_env_file() -> None:
    ctx = Ctx()
    systemd = with_systemd(ctx, "etcd.service")
    await WriteEtcdConfig("ETCD_NAME=e1\n", render_unit(), render_wrapper(2379)).run(ctx)
    changed = WriteEtcdConfig("ETCD_NAME=e9\n", render_unit(), render_wrapper(2379))

    await converge(changed, ctx)
    assert ctx.conn.text("/etc/etcd.env") == "ETCD_NAME=e9\n"
    assert systemd.reloads == 1, "the unit did not change, so no reload"
