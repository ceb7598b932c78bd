"""InitControlPlane: kubeadm init once, then only a readiness check."""

from __future__ import annotations

import pytest
from kubeadm_fakes import Ctx, FakeCluster, converge

from kubexm.connector.base import Result
from kubexm.errors import StepError
from kubexm.step.kubeadm.init_control_plane import InitControlPlane, readyz_command
from kubexm.step.kubeadm.write_kubeadm_config import KUBEADM_CONFIG


def master(cluster: FakeCluster) -> Ctx:
    ctx = Ctx()
    cluster.install(ctx.conn)
    ctx.conn.write(KUBEADM_CONFIG, "kind: InitConfiguration\n", mode=0o600)
    ctx.conn.script(r"^end=", lambda cmd, fake: Result(0 if cluster.up else 1, "", ""), regex=True)
    return ctx


async def test_init_control_plane_runs_kubeadm_init_with_the_config_file() -> None:
    cluster = FakeCluster()
    ctx = master(cluster)

    await converge(InitControlPlane(), ctx)

    init = [c for c in ctx.conn.ran if " init " in c]
    assert init == [f"/usr/local/bin/kubeadm init --config={KUBEADM_CONFIG}"]
    assert cluster.inits == 1


async def test_init_control_plane_second_run_changes_nothing() -> None:
    cluster = FakeCluster()
    ctx = master(cluster)
    await InitControlPlane().run(ctx)

    assert await InitControlPlane().check(ctx) is True
    assert cluster.inits == 1


async def test_init_control_plane_waits_instead_of_initialising_twice() -> None:
    cluster = FakeCluster(up=True)
    ctx = master(cluster)
    ctx.conn.write("/etc/kubernetes/admin.conf", "x\n")
    cluster.up = False
    assert await InitControlPlane().check(ctx) is False
    cluster.up = True  # the kubelet brought the static pods back

    await InitControlPlane().run(ctx)
    assert cluster.inits == 0


async def test_init_control_plane_reports_a_control_plane_that_never_answers() -> None:
    cluster = FakeCluster()
    ctx = master(cluster)
    ctx.conn.write("/etc/kubernetes/admin.conf", "x\n")

    with pytest.raises(StepError, match="does not answer") as info:
        await InitControlPlane().run(ctx)
    assert "kubeadm reset" in (info.value.hint or "")
    assert cluster.inits == 0


def test_readyz_command_asks_the_local_apiserver() -> None:
    cmd = readyz_command(6443)
    assert "--server=https://127.0.0.1:6443" in cmd
    assert "--raw=/readyz" in cmd
