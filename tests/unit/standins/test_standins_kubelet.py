"""The kubelet stand-in: flags per minor, KubeletConfiguration and runtime checks, the label
rules of --node-labels, ``/healthz``, static pods run as supervised processes, and (with the
test bundle) node registration, Ready only with a CNI config, and mirror pods.

Each test uses a folder as ``KUBEXM_STANDIN_ROOT`` (containerd's config, /etc/cni/net.d,
/usr/local/bin) and a unix socket standing for containerd.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from standin_kit import Pki, Running, free_port, load_builder, wait_until

VERSION = "v1.36.4"
CONFIG = """apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: {driver}
clusterDNS: [{dns}]
healthzPort: {port}
staticPodPath: {manifests}
"""
SLEEPER = '#!/bin/sh\necho "$$ $*" >> "$(dirname "$0")/../started"\nexec sleep 300\n'
POD = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: kube-system
spec:
  containers:
  - command:
    - {command}
    - --flag={flag}
    image: registry.k8s.io/{name}:v1
    name: {name}
  hostNetwork: true
"""


@dataclass
class Host:
    """A stand-in host folder with a fake containerd socket and a rendered kubelet."""

    root: Path
    kubelet: Path
    socket: Path
    healthz: int

    def config(self, driver: str = "systemd", dns: str = "169.254.25.10") -> Path:
        path = self.root / "config.yaml"
        manifests = self.root / "etc/kubernetes/manifests"
        path.write_text(
            CONFIG.format(driver=driver, dns=dns, port=self.healthz, manifests=manifests)
        )
        return path

    def argv(self, *extra: str) -> list[str]:
        runtime = f"--container-runtime-endpoint=unix://{self.socket}"
        return [
            str(self.kubelet),
            f"--config={self.config()}",
            runtime,
            "--hostname-override=node1",
            *extra,
        ]

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KUBEXM_STANDIN_ROOT": str(self.root)}
        return subprocess.run(list(argv), capture_output=True, text=True, env=env, timeout=60)

    def start(self, *argv: str) -> Running:
        log = self.root / "kubelet.log"
        env = {**os.environ, "KUBEXM_STANDIN_ROOT": str(self.root)}
        with log.open("ab") as out:
            process = subprocess.Popen(list(argv), stdout=out, stderr=subprocess.STDOUT, env=env)
        return Running(process, f"http://127.0.0.1:{self.healthz}", log)


def accept_forever(server: socket.socket) -> None:
    while True:
        conn, _ = server.accept()
        conn.close()


@pytest.fixture
def host(tmp_path: Path) -> Host:
    root = tmp_path / "root"
    (root / "etc/containerd").mkdir(parents=True)
    (root / "etc/containerd/config.toml").write_text(
        '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n'
        "  SystemdCgroup = true\n"
    )
    (root / "etc/kubernetes/manifests").mkdir(parents=True)
    sock = tmp_path / "containerd.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    server.listen(16)
    threading.Thread(target=accept_forever, args=(server,), daemon=True).start()
    kubelet = load_builder().write_standin("kubelet", VERSION, tmp_path / "bin" / "kubelet")
    return Host(root, kubelet, sock, free_port())


def test_flags_known_per_minor_and_removed_ones_refused(host: Host, tmp_path: Path) -> None:
    assert host.run(str(host.kubelet), "--version").stdout.strip() == f"Kubernetes {VERSION}"
    for flag in (
        "--container-runtime=remote",
        "--network-plugin=cni",
        "--pod-infra-container-image=pause:3.10",
    ):
        done = host.run(str(host.kubelet), flag)
        assert done.returncode == 1 and f"unknown flag: {flag.split('=')[0]}" in done.stderr
    older = load_builder().write_standin("kubelet", "v1.34.11", tmp_path / "old" / "kubelet")
    done = host.run(str(older), "--pod-infra-container-image=pause:3.10", "--version")
    assert done.returncode == 0 and "v1.34.11" in done.stdout


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            {"driver": "cgroupfs"},
            'kubelet cgroup driver: "cgroupfs" is different from the container runtime',
        ),
        ({"dns": "not-an-ip"}, "clusterDNS: Invalid value"),
        ({"kind": "KubeProxyConfiguration"}, 'no kind "KubeProxyConfiguration" is registered'),
        (
            {"labels": "node-role.kubernetes.io/control-plane="},
            "unknown 'kubernetes.io' or 'k8s.io' labels",
        ),
        ({"socket": "missing"}, "validate CRI v1 runtime API"),
        ({"config": "missing"}, "failed to load kubelet config file"),
        ({"kubeconfig": "missing"}, "invalid kubeconfig"),
    ],
)
def test_configuration_checks_fail_like_the_kubelet(
    host: Host, change: dict[str, str], error: str
) -> None:
    argv = host.argv()
    config = host.config(
        driver=change.get("driver", "systemd"), dns=change.get("dns", "169.254.25.10")
    )
    if "kind" in change:
        config.write_text(config.read_text().replace("KubeletConfiguration", change["kind"]))
    if "labels" in change:
        argv.append(f"--node-labels={change['labels']}")
    if "socket" in change:
        argv = [a.replace(str(host.socket), str(host.root / "nope.sock")) for a in argv]
    if "config" in change:
        argv[1] = f"--config={host.root / 'nope.yaml'}"
    if "kubeconfig" in change:
        argv.append(f"--kubeconfig={host.root / 'nope.conf'}")
    done = host.run(*argv)
    assert done.returncode == 1 and error in done.stderr, done.stderr


def test_allowed_node_labels_and_bool_flags_are_accepted(host: Host) -> None:
    kubelet = host.start(
        *host.argv("--node-labels=node.kubernetes.io/worker=true,team=a", "--fail-swap-on", "--v=2")
    )
    try:
        wait_until(lambda: healthz(host) == "ok", 20, "kubelet healthz", kubelet.log)
    finally:
        kubelet.stop()


def healthz(host: Host) -> str:
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{host.healthz}/healthz", timeout=2
        ) as response:
            return response.read().decode()
    except OSError:
        return ""


def started(host: Host) -> list[str]:
    log = host.root / "usr/local/started"
    return log.read_text().splitlines() if log.is_file() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_static_pods_run_as_supervised_processes(host: Host) -> None:
    binary = host.root / "usr/local/bin/sleeper"
    binary.parent.mkdir(parents=True)
    binary.write_text(SLEEPER)
    binary.chmod(0o755)
    manifests = host.root / "etc/kubernetes/manifests"
    (manifests / "sleeper.yaml").write_text(
        POD.format(name="sleeper", command="sleeper", flag="one")
    )
    (manifests / "etcd.yaml").write_text(POD.format(name="etcd", command="etcd", flag="x"))
    kubelet = host.start(*host.argv())
    try:
        wait_until(lambda: len(started(host)) == 1, 20, "static pod started", kubelet.log)
        first = int(started(host)[0].split()[0])
        assert started(host)[0].endswith("--flag=one")
        assert healthz(host) == "ok"
        assert (
            'Error syncing pod "kube-system/etcd-node1": cannot start: executable file not found'
            in kubelet.log.read_text()
        )
        os.kill(first, signal.SIGKILL)
        wait_until(
            lambda: len(started(host)) == 2, 20, "restart after the process died", kubelet.log
        )
        (manifests / "sleeper.yaml").write_text(
            POD.format(name="sleeper", command="/usr/local/bin/sleeper", flag="two")
        )
        wait_until(lambda: len(started(host)) == 3, 20, "restart on manifest change", kubelet.log)
        assert started(host)[2].endswith("--flag=two")
        third = int(started(host)[2].split()[0])
        (manifests / "sleeper.yaml").unlink()
        wait_until(
            lambda: not alive(third), 20, "stopped when the manifest is removed", kubelet.log
        )
        assert kubelet.process.poll() is None
    finally:
        kubelet.stop()


# --------------------------------------------------------------------------- with an apiserver


@pytest.fixture
def registered(
    host: Host, cluster: tuple[Running, Running], pki: Pki, tmp_path: Path
) -> Iterator[tuple[Host, Running, Path]]:
    """The kubelet of ``host`` as node1 against the apiserver stand-in (kubexm's node cert)."""
    kubeconfig = pki.kubeconfig("admin.conf", cluster[1].url, tmp_path / "kubelet.conf")
    binary = host.root / "usr/local/bin/sleeper"
    binary.parent.mkdir(parents=True)
    binary.write_text(SLEEPER)
    binary.chmod(0o755)
    manifests = host.root / "etc/kubernetes/manifests"
    (manifests / "sleeper.yaml").write_text(
        POD.format(name="sleeper", command="sleeper", flag="one")
    )
    labels = "--node-labels=node.kubernetes.io/worker=true"
    kubelet = host.start(
        *host.argv(
            f"--kubeconfig={kubeconfig}",
            labels,
            "--register-with-taints=dedicated=infra:NoSchedule",
            "--node-ip=127.0.0.1",
        )
    )
    try:
        yield host, kubelet, kubeconfig
    finally:
        kubelet.stop()


def get(kubeconfig: Path, path: str, pki: Pki) -> Any:
    context = ssl.create_default_context(cafile=pki.path("ca.crt"))
    context.load_cert_chain(pki.path("clients/admin.crt"), pki.path("clients/admin.key"))
    server = next(
        line.split(": ", 1)[1] for line in kubeconfig.read_text().splitlines() if "server:" in line
    )
    try:
        with urllib.request.urlopen(server.strip() + path, context=context, timeout=5) as response:
            return json.loads(response.read())
    except OSError:
        return {}


def test_node_registers_with_labels_taints_and_turns_ready_with_cni(
    registered: tuple[Host, Running, Path], pki: Pki
) -> None:
    host, kubelet, kubeconfig = registered
    wait_until(
        lambda: get(kubeconfig, "/api/v1/nodes/node1", pki), 30, "node registered", kubelet.log
    )
    node = get(kubeconfig, "/api/v1/nodes/node1", pki)
    assert node["metadata"]["labels"]["node.kubernetes.io/worker"] == "true"
    assert node["spec"]["taints"] == [
        {"key": "dedicated", "value": "infra", "effect": "NoSchedule"}
    ]
    assert {"type": "InternalIP", "address": "127.0.0.1"} in node["status"]["addresses"]
    ready = node["status"]["conditions"][-1]
    assert ready["status"] == "False" and "cni plugin not initialized" in ready["message"]
    (host.root / "etc/cni/net.d").mkdir(parents=True)
    (host.root / "etc/cni/net.d/10-t.conflist").write_text(
        '{"cniVersion": "1.0.0", "name": "t", "plugins": []}'
    )

    def is_ready() -> bool:
        conditions = get(kubeconfig, "/api/v1/nodes/node1", pki)["status"]["conditions"]
        return bool(conditions[-1]["status"] == "True")

    wait_until(is_ready, 30, "node Ready", kubelet.log)
    path = "/api/v1/namespaces/kube-system/pods/sleeper-node1"
    wait_until(
        lambda: get(kubeconfig, path, pki).get("status", {}).get("phase") == "Running",
        30,
        "mirror pod",
        kubelet.log,
    )
    mirror = get(kubeconfig, path, pki)
    assert mirror["spec"]["nodeName"] == "node1"
    assert "kubernetes.io/config.mirror" in mirror["metadata"]["annotations"]
    started = time.monotonic()
    (host.root / "etc/kubernetes/manifests/sleeper.yaml").unlink()
    wait_until(lambda: not get(kubeconfig, path, pki), 30, "mirror pod deleted", kubelet.log)
    assert time.monotonic() - started < 30
