"""init_phases: the objects a finished kubeadm init leaves and the phases that make them."""

from __future__ import annotations

from kubeadm_fakes import Ctx, FakeCluster

from kubexm.runner.host import Host
from kubexm.step.kubeadm.init_phases import (
    control_plane_nodes_command,
    expected_objects,
    missing_objects,
    object_command,
    phase_commands,
)


def test_phase_commands_follow_kubeadms_order_with_the_config() -> None:
    phases = phase_commands("/etc/kubexm/kubeadm.yaml", kube_proxy=True)
    assert [name for name, _ in phases] == [
        "upload-config",
        "mark-control-plane",
        "bootstrap-token",
        "kubelet-finalize",
        "addon",
    ]
    assert phases[0][1] == (
        "/usr/local/bin/kubeadm init phase upload-config all --config=/etc/kubexm/kubeadm.yaml"
    )
    assert phase_commands("/x", kube_proxy=False)[-1][1].endswith("addon coredns --config=/x")


def test_object_command_names_the_object_in_its_namespace() -> None:
    cluster_info = next(o for o in expected_objects(False) if o.name == "cluster-info")
    cmd = object_command(6443, cluster_info)
    assert "-n kube-public get configmap cluster-info -o name" in cmd
    assert "--server=https://127.0.0.1:6443" in cmd
    assert [o.name for o in expected_objects(True)][-1] == "kube-proxy"


def test_control_plane_nodes_command_selects_by_kubeadms_label() -> None:
    cmd = control_plane_nodes_command(6443)
    assert "get nodes -l node-role.kubernetes.io/control-plane -o name" in cmd


async def test_missing_objects_lists_what_a_half_done_init_lacks() -> None:
    cluster = FakeCluster()
    ctx = Ctx()
    cluster.install(ctx.conn)
    cluster.half_init(ctx.conn)
    host = Host(ctx.conn, dry_run=True)

    assert await missing_objects(host, "m1", 6443, kube_proxy=False) == [
        "kubeadm-config",
        "cluster-info",
        "CoreDNS",
        "the control-plane label of node m1",
    ]
    cluster.objects |= {
        "kube-system/configmap/kubeadm-config",
        "kube-public/configmap/cluster-info",
        "kube-system/deployment/coredns",
    }
    cluster.control_planes.add("m1")
    assert await missing_objects(host, "m1", 6443, kube_proxy=False) == []
    assert await missing_objects(host, "m1", 6443, kube_proxy=True) == ["kube-proxy"]
