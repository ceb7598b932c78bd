"""What ``kubeadm init`` leaves in the cluster after its control plane is up, and the
``kubeadm init phase`` commands that make it again when an init stopped half-way.

kubeadm writes the kubeconfigs and static pods first and only then, through the apiserver,
uploads its config, marks the node, makes the bootstrap-token objects (``cluster-info``)
and the addons. An init killed in between leaves ``admin.conf`` and a healthy apiserver but
none of those objects; every phase below is idempotent, so running them all again over such
a node (or a complete one) converges it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubexm.common.paths import ADMIN_CONF
from kubexm.runner.host import Host
from kubexm.step.kubeadm.credentials import KUBEADM, KUBECTL
from kubexm.util.shell import join

CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"


@dataclass(frozen=True)
class ClusterObject:
    """One object ``kubeadm init`` makes through the apiserver, and the phase that makes it."""

    what: str
    namespace: str
    kind: str
    name: str
    phase: str


OBJECTS = (
    ClusterObject("kubeadm-config", "kube-system", "configmap", "kubeadm-config", "upload-config"),
    ClusterObject("cluster-info", "kube-public", "configmap", "cluster-info", "bootstrap-token"),
    ClusterObject("CoreDNS", "kube-system", "deployment", "coredns", "addon"),
)
KUBE_PROXY = ClusterObject("kube-proxy", "kube-system", "daemonset", "kube-proxy", "addon")


def kubectl(port: int, *args: str) -> str:
    """kubectl asking this host's own apiserver with the admin credentials."""
    return join(
        [
            KUBECTL,
            f"--kubeconfig={ADMIN_CONF}",
            f"--server=https://127.0.0.1:{port}",
            "--request-timeout=10s",
            *args,
        ]
    )


def object_command(port: int, obj: ClusterObject) -> str:
    """kubectl that exits 0 only when ``obj`` exists."""
    return kubectl(port, "-n", obj.namespace, "get", obj.kind, obj.name, "-o", "name")


def control_plane_nodes_command(port: int) -> str:
    """kubectl listing the nodes that carry kubeadm's control-plane label."""
    return kubectl(port, "get", "nodes", "-l", CONTROL_PLANE_LABEL, "-o", "name")


def expected_objects(kube_proxy: bool) -> tuple[ClusterObject, ...]:
    """The objects a finished init leaves; kube-proxy's only when kubeadm deploys it."""
    return (*OBJECTS, KUBE_PROXY) if kube_proxy else OBJECTS


async def missing_objects(host: Host, node: str, port: int, *, kube_proxy: bool) -> list[str]:
    """What of a finished init the cluster lacks, asked on ``host``; empty when complete.

    An object that cannot be read (apiserver gone, admin not authorised yet because the
    init stopped before kubeadm bound its admin group) counts as missing: the phases that
    follow make it and fail with kubeadm's own error when they cannot.
    """
    missing = [
        obj.what
        for obj in expected_objects(kube_proxy)
        if not await host.test(object_command(port, obj), timeout=30.0)
    ]
    listed = await host.run(control_plane_nodes_command(port), check=False, timeout=30.0)
    if not listed.ok or f"node/{node}" not in listed.stdout.split():
        missing.append(f"the control-plane label of node {node}")
    return missing


def phase_commands(config_path: str, *, kube_proxy: bool) -> list[tuple[str, str]]:
    """(phase, command) for every ``kubeadm init phase`` after the control plane is up, in
    kubeadm's order, reading the same config as the init did.

    The join command is never printed (``--skip-token-print``); the kube-proxy addon is left
    out when the config turns kube-proxy off (kubeadm skips it then too).
    """
    config = f"--config={config_path}"
    addon = "all" if kube_proxy else "coredns"
    phases = (
        ("upload-config", ["upload-config", "all"]),
        ("mark-control-plane", ["mark-control-plane"]),
        ("bootstrap-token", ["bootstrap-token", "--skip-token-print"]),
        ("kubelet-finalize", ["kubelet-finalize", "all"]),
        ("addon", ["addon", addon]),
    )
    return [(name, join([KUBEADM, "init", "phase", *args, config])) for name, args in phases]
