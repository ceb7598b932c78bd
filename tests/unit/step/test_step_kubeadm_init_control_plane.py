"""InitControlPlane: kubeadm init once; the remaining phases over a half-done init; then
only checks."""

from __future__ import annotations

import pytest
from kubeadm_fakes import Ctx, FakeCluster, converge

from kubexm.connector.base import Result
from kubexm.errors import CommandError, StepError
from kubexm.step.kubeadm.init_control_plane import InitControlPlane, readyz_command
from kubexm.step.kubeadm.write_kubeadm_config import KUBEADM_CONFIG


def master(cluster: FakeCluster, config: str = "kind: InitConfiguration\n") -> Ctx:
    ctx = Ctx()
    cluster.install(ctx.conn)
    ctx.conn.write(KUBEADM_CONFIG, config, mode=0o600)
    ctx.conn.script(r"^end=", lambda cmd, fake: Result(0 if cluster.up else 1, "", ""), regex=True)
    return ctx


async def test_init_control_plane_runs_kubeadm_init_with_the_config_file() -> None:
    cluster = FakeCluster()
    ctx = master(cluster)

    await converge(InitControlPlane(), ctx)

    init = [c for c in ctx.conn.ran if " init " in c]
    assert init == [f"/usr/local/bin/kubeadm init --config={KUBEADM_CONFIG}"]
    assert cluster.inits == 1
    assert cluster.phases == [], "a fresh host gets the full init, no separate phases"


async def test_init_control_plane_second_run_changes_nothing() -> None:
    cluster = FakeCluster()
    ctx = master(cluster)
    await InitControlPlane().run(ctx)
    before = ctx.conn.snapshot()

    assert await InitControlPlane().check(ctx) is True
    await InitControlPlane().run(ctx)
    assert ctx.conn.snapshot() == before
    assert (cluster.inits, cluster.phases) == (1, [])


async def test_init_control_plane_finishes_a_half_done_init_with_its_phases() -> None:
    cluster = FakeCluster()
    ctx = master(cluster)
    cluster.half_init(ctx.conn)

    await converge(InitControlPlane(), ctx)

    assert cluster.inits == 0, "no kubeadm init over a node kubeadm already made"
    assert cluster.phases == [
        "upload-config all",
        "mark-control-plane",
        "bootstrap-token",
        "kubelet-finalize all",
        "addon all",
    ]
    assert cluster.objects == {
        "kube-system/configmap/kubeadm-config",
        "kube-public/configmap/cluster-info",
        "kube-system/deployment/coredns",
        "kube-system/daemonset/kube-proxy",
    }
    assert cluster.control_planes == {"m1"}
    token_phase = next(c for c in ctx.conn.ran if "phase bootstrap-token" in c)
    assert "--skip-token-print" in token_phase
    assert all(f"--config={KUBEADM_CONFIG}" in c for c in ctx.conn.ran if " phase " in c)


async def test_init_control_plane_runs_the_phases_again_when_one_object_is_missing() -> None:
    cluster = FakeCluster()
    ctx = master(cluster)
    await InitControlPlane().run(ctx)
    cluster.objects.discard("kube-public/configmap/cluster-info")

    await converge(InitControlPlane(), ctx)
    assert cluster.inits == 1 and len(cluster.phases) == 5


async def test_init_control_plane_leaves_kube_proxy_out_when_the_config_turns_it_off() -> None:
    cluster = FakeCluster()
    ctx = master(cluster, "kind: InitConfiguration\nskipPhases: [addon/kube-proxy]\n")
    cluster.half_init(ctx.conn)
    step = InitControlPlane(kube_proxy=False)

    await converge(step, ctx)

    assert cluster.phases[-1] == "addon coredns"
    assert "kube-system/daemonset/kube-proxy" not in cluster.objects
    await step.run(ctx)
    assert len(cluster.phases) == 5, "kube-proxy is not expected, so nothing is missing"


async def test_init_control_plane_reports_a_failing_phase() -> None:
    cluster = FakeCluster()
    ctx = master(cluster)
    cluster.half_init(ctx.conn)
    ctx.conn.on(
        "/usr/local/bin/kubeadm",
        lambda argv, fake: Result(1, "", "error execution phase upload-config/kubeadm\n"),
    )

    with pytest.raises(CommandError, match="upload-config"):
        await InitControlPlane().run(ctx)


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
