"""WriteKubeletUnit: unit, kubeadm drop-in, extra-flags file, kubelet enabled (not started)."""

from __future__ import annotations

from kubeadm_fakes import Ctx, converge, with_systemd

from kubexm.step.kubeadm.render import render_file
from kubexm.step.kubeadm.write_kubelet_unit import DROP_IN, WriteKubeletUnit


def step(env: str = "KUBELET_EXTRA_ARGS=\n") -> WriteKubeletUnit:
    unit = render_file("kubelet.service.j2", bin_dir="/usr/local/bin", runtime_unit="x.service")
    drop_in = render_file(
        "10-kubeadm.conf.j2",
        bin_dir="/usr/local/bin",
        kubelet_config="/var/lib/kubelet/config.yaml",
        kubeadm_flags_env="/var/lib/kubelet/kubeadm-flags.env",
        extra_args_file="/etc/default/kubelet",
    )
    return WriteKubeletUnit(unit, drop_in, "/etc/default/kubelet", env)


async def test_write_kubelet_unit_writes_files_and_enables_without_starting() -> None:
    ctx = Ctx()
    systemd = with_systemd(ctx, "kubelet.service")

    await converge(step(), ctx)

    assert "ExecStart=/usr/local/bin/kubelet" in ctx.conn.text(
        "/etc/systemd/system/kubelet.service"
    )
    drop_in = ctx.conn.text(f"/etc/systemd/system/{DROP_IN}")
    assert "EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env" in drop_in
    assert "$KUBELET_EXTRA_ARGS" in drop_in
    assert ctx.conn.text("/etc/default/kubelet").endswith("KUBELET_EXTRA_ARGS=\n")
    assert systemd.units["kubelet.service"].enabled == "enabled"
    assert not systemd.units["kubelet.service"].active, "kubeadm starts the kubelet"


async def test_write_kubelet_unit_second_run_changes_nothing() -> None:
    ctx = Ctx()
    systemd = with_systemd(ctx, "kubelet.service")
    await step().run(ctx)
    reloads = systemd.reloads

    assert await step().check(ctx) is True
    await step().run(ctx)
    assert systemd.reloads == reloads


async def test_write_kubelet_unit_rewrites_a_changed_env_file_only() -> None:
    ctx = Ctx()
    systemd = with_systemd(ctx, "kubelet.service")
    await step().run(ctx)
    reloads = systemd.reloads

    await converge(step("KUBELET_EXTRA_ARGS=--v=2\n"), ctx)
    assert ctx.conn.text("/etc/default/kubelet") == "KUBELET_EXTRA_ARGS=--v=2\n"
    assert systemd.reloads == reloads, "units unchanged: no reload"
