"""WriteKubeadmConfig: the first master's config, mode 0600."""

from __future__ import annotations

from kubeadm_fakes import MASTER, Ctx, converge, settings

from kubexm.step.kubeadm.render import render_init
from kubexm.step.kubeadm.write_kubeadm_config import KUBEADM_CONFIG, WriteKubeadmConfig


async def test_write_kubeadm_config_is_root_only_and_converges() -> None:
    ctx = Ctx()
    step = WriteKubeadmConfig(render_init(settings(), MASTER))

    await converge(step, ctx)

    assert ctx.conn.files[KUBEADM_CONFIG].mode == 0o600
    assert "kind: InitConfiguration" in ctx.conn.text(KUBEADM_CONFIG)


async def test_write_kubeadm_config_fixes_a_readable_file() -> None:
    ctx = Ctx()
    ctx.conn.dirs["/etc/kubernetes"] = (0o755, "root", "root")
    ctx.conn.write(KUBEADM_CONFIG, "same\n", mode=0o644)

    await converge(WriteKubeadmConfig("same\n"), ctx)
    assert ctx.conn.files[KUBEADM_CONFIG].mode == 0o600
