"""The kubeadm stand-in: what it checks (flags, config API versions and kinds, required fields,
PKI reuse, the CA pin of join) and, with the test bundle's real etcd and kubectl, a whole
``init`` + worker ``join`` + control-plane ``join`` on this machine.

Each "host" is a folder used as ``KUBEXM_STANDIN_ROOT``; a test double of ``systemctl`` on PATH
starts that host's kubelet stand-in the way kubeadm's systemd drop-in would.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from standin_kit import Pki, Running, Tools, free_port, load_builder, start_etcd, wait_until

VERSION = "v1.36.4"
SYSTEMCTL = """#!/bin/sh
# test double of systemctl for one stand-in host ($KUBEXM_STANDIN_ROOT): (re)start/stop its kubelet
R="$KUBEXM_STANDIN_ROOT"
if [ -f "$R/kubelet.pid" ]; then
    kill "$(cat "$R/kubelet.pid")" 2>/dev/null
    while kill -0 "$(cat "$R/kubelet.pid")" 2>/dev/null; do sleep 0.2; done
    rm -f "$R/kubelet.pid"
fi
[ "$1" = restart ] || exit 0
. "$R/var/lib/kubelet/kubeadm-flags.env"
"$R/usr/local/bin/kubelet" --bootstrap-kubeconfig="$R/etc/kubernetes/bootstrap-kubelet.conf" \\
    --kubeconfig="$R/etc/kubernetes/kubelet.conf" --config="$R/var/lib/kubelet/config.yaml" \\
    $KUBELET_KUBEADM_ARGS >>"$R/kubelet.log" 2>&1 &
echo $! >"$R/kubelet.pid"
"""


def render(name: str, folder: Path, version: str = VERSION) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return load_builder().write_standin(name, version, folder / name)


@pytest.fixture(scope="module")
def kubeadm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render("kubeadm", tmp_path_factory.mktemp("kubeadm-bin"))


def run(
    binary: Path, *args: str, root: Path | None = None, path: str = ""
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if root is not None:
        env["KUBEXM_STANDIN_ROOT"] = str(root)
    if path:
        env["PATH"] = f"{path}:{env['PATH']}"
    return subprocess.run(
        [str(binary), *args], capture_output=True, text=True, env=env, timeout=300
    )


def init_config(
    endpoint: str = "127.0.0.1:6443", api: str = "v1beta4", version: str = VERSION, extra: str = ""
) -> str:
    args = (
        '\n    - {name: profiling, value: "false"}'
        if api == "v1beta4"
        else '\n    profiling: "false"'
    )
    return f"""apiVersion: kubeadm.k8s.io/{api}
kind: InitConfiguration
nodeRegistration: {{name: master1}}
---
apiVersion: kubeadm.k8s.io/{api}
kind: ClusterConfiguration
kubernetesVersion: {version}
controlPlaneEndpoint: {endpoint}
apiServer:
  extraArgs:{args}
{extra}"""


# --------------------------------------------------------------------------- without a cluster


def test_version_and_unknown_flags(kubeadm: Path) -> None:
    assert run(kubeadm, "version", "-o", "short").stdout.strip() == VERSION
    full = run(kubeadm, "version").stdout
    assert full.startswith("kubeadm version: &version.Info{") and f'GitVersion:"{VERSION}"' in full
    assert (
        json.loads(run(kubeadm, "version", "-o", "json").stdout)["clientVersion"]["minor"] == "36"
    )
    bad = run(kubeadm, "init", "--bogus")
    assert bad.returncode == 1 and "unknown flag: --bogus" in bad.stderr
    assert "unknown command" in run(kubeadm, "frobnicate").stderr
    assert "unknown flag: --version" in run(kubeadm, "--version").stderr
    dry = run(kubeadm, "reset", "-f", "--dry-run")
    assert dry.returncode == 1 and "--dry-run: not supported by the kubexm stand-in" in dry.stderr
    key = run(kubeadm, "certs", "certificate-key").stdout.strip()
    assert (
        re.fullmatch(r"[0-9a-f]{64}", key)
        and key != run(kubeadm, "certs", "certificate-key").stdout.strip()
    )
    assert re.fullmatch(
        r"[a-z0-9]{6}\.[a-z0-9]{16}", run(kubeadm, "token", "generate").stdout.strip()
    )


@pytest.mark.parametrize(
    ("text", "version", "error"),
    [
        (init_config(), VERSION, ""),
        (init_config(api="v1beta3", version="v1.35.8"), "v1.35.8", ""),
        (init_config(api="v1beta3"), VERSION, "v1beta3 API was removed in kubeadm 1.36"),
        (
            init_config().replace('- {name: profiling, value: "false"}', 'profiling: "false"'),
            VERSION,
            "[]v1beta4.Arg",
        ),
        (init_config(version="v1.37.0"), VERSION, "is higher than the kubeadm version"),
        (
            init_config(version="v1.33.0"),
            VERSION,
            "only supports deploying clusters with the control plane version >= v1.35.0",
        ),
        (
            init_config().replace("controlPlaneEndpoint: 127.0.0.1:6443\n", ""),
            VERSION,
            "controlPlaneEndpoint: Required value",
        ),
        (
            init_config().replace("kind: InitConfiguration", "kind: InitConfig"),
            VERSION,
            'no kind "InitConfig" is registered',
        ),
        (init_config(api="v1beta2"), VERSION, "old API spec"),
        (
            init_config(extra="networking: {podSubnet: 10.244.0.1/16}\n"),
            VERSION,
            "networking.podSubnet: Invalid value",
        ),
    ],
)
def test_config_validate_checks_what_kubeadm_checks(
    tmp_path: Path, text: str, version: str, error: str
) -> None:
    binary = render("kubeadm", tmp_path / "bin", version)
    (tmp_path / "c.yaml").write_text(text)
    done = run(binary, "config", "validate", "--config", str(tmp_path / "c.yaml"))
    if error:
        assert done.returncode == 1 and error in done.stderr, done.stderr
    else:
        assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    if "v1beta3" in text and not error:
        assert "deprecated" in done.stderr


JOIN = """apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: 127.0.0.1:6443
    token: abcdef.0123456789abcdef
{pin}"""


@pytest.mark.parametrize(
    ("pin", "error"),
    [
        ("    caCertHashes: [sha256:" + "a" * 64 + "]", ""),
        ("    unsafeSkipCAVerification: true", ""),
        ("", "without caCertHashes can be unsafe"),
        ("    caCertHashes: [md5:abc]", 'invalid hash "md5:abc"'),
    ],
)
def test_join_discovery_must_pin_the_ca(
    kubeadm: Path, tmp_path: Path, pin: str, error: str
) -> None:
    (tmp_path / "j.yaml").write_text(JOIN.format(pin=pin))
    done = run(kubeadm, "config", "validate", "--config", str(tmp_path / "j.yaml"))
    assert (done.returncode, error in done.stderr) == ((1, True) if error else (0, True)), (
        done.stderr
    )


def test_a_pre_seeded_certificate_not_signed_by_the_ca_fails(
    kubeadm: Path, pki: Pki, tmp_path: Path
) -> None:
    root = tmp_path / "host"
    shutil.copytree(pki.root / "pki", root / "etc/kubernetes/pki")
    other = tmp_path / "other"
    other.mkdir()
    openssl = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    openssl += ["-nodes", "-subj", "/CN=kube-apiserver", "-keyout", str(other / "k")]
    subprocess.run([*openssl, "-out", str(other / "c")], check=True, capture_output=True)
    shutil.copy(other / "c", root / "etc/kubernetes/pki/apiserver.crt")
    shutil.copy(other / "k", root / "etc/kubernetes/pki/apiserver.key")
    (tmp_path / "c.yaml").write_text(init_config())
    done = run(
        kubeadm,
        "init",
        "--config",
        str(tmp_path / "c.yaml"),
        "--ignore-preflight-errors=all",
        root=root,
    )
    assert done.returncode == 1
    assert "certificate apiserver is not signed by corresponding CA" in done.stderr
    assert "[certs] Using existing ca certificate authority" in done.stdout
    assert not (root / "etc/kubernetes/manifests").exists()


def test_preflight_errors_are_named_and_can_be_ignored(kubeadm: Path, tmp_path: Path) -> None:
    root = tmp_path / "host"
    (root / "etc/kubernetes/manifests").mkdir(parents=True)
    (root / "etc/kubernetes/manifests/kube-apiserver.yaml").write_text("{}")
    (tmp_path / "c.yaml").write_text(init_config())
    done = run(kubeadm, "init", "--config", str(tmp_path / "c.yaml"), root=root)
    assert done.returncode == 1
    for name in (
        "FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml",
        "FileContent--proc-sys-net-ipv4-ip_forward",
        "CRI",
    ):
        assert f"[ERROR {name}]" in done.stderr
    assert "--ignore-preflight-errors" in done.stderr


# --------------------------------------------------------------------------- a whole cluster


@dataclass
class Host:
    """One stand-in host: its root folder and kubelet healthz port."""

    name: str
    root: Path
    healthz: int

    def kubelet_log(self) -> str:
        log = self.root / "kubelet.log"
        return log.read_text()[-3000:] if log.is_file() else ""


@dataclass
class Cluster:
    """A kubeadm-made control plane on this machine (stand-ins + the bundle's etcd)."""

    kubeadm: Path
    fakebin: Path
    master: Host
    port: int
    init: subprocess.CompletedProcess[str]
    kubectl: Path
    folder: Path

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def adm(self, host: Host, *args: str) -> subprocess.CompletedProcess[str]:
        return run(self.kubeadm, *args, root=host.root, path=str(self.fakebin))

    def has(self, *args: str) -> bool:
        """True when ``kubectl get <args>`` finds the object."""
        admin = self.master.root / "etc/kubernetes/admin.conf"
        argv = [str(self.kubectl), f"--kubeconfig={admin}", f"--cache-dir={self.folder / 'kc'}"]
        done = subprocess.run([*argv, "get", *args], capture_output=True, timeout=60)
        return done.returncode == 0

    def kubectl_json(self, *args: str) -> Any:
        admin = self.master.root / "etc/kubernetes/admin.conf"
        argv = [
            str(self.kubectl),
            f"--kubeconfig={admin}",
            f"--cache-dir={self.folder / 'kc'}",
            *args,
            "-o",
            "json",
        ]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def cri_socket(path: Path) -> threading.Thread:
    """A unix socket that accepts connections (what the kubelet probes of containerd)."""
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(64)

    def serve() -> None:
        while True:
            conn, _ = server.accept()
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def make_host(folder: Path, name: str, bins: tuple[str, ...]) -> Host:
    root = folder / name
    (root / "proc/sys/net/ipv4").mkdir(parents=True)
    (root / "proc/sys/net/ipv4/ip_forward").write_text("1\n")
    (root / "etc/containerd").mkdir(parents=True)
    (root / "etc/containerd/config.toml").write_text(
        '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n'
        "  SystemdCgroup = true\n"
    )
    for binary in bins:
        render(binary, root / "usr/local/bin")
    return Host(name, root, free_port())


def stop_host(host: Host) -> None:
    pid_file = host.root / "kubelet.pid"
    if pid_file.is_file():
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        wait_until(lambda: not Path(f"/proc/{pid}").exists(), 30, f"kubelet {pid} stopped")


CLUSTER_CONFIG = """apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: {{advertiseAddress: 127.0.0.1, bindPort: {port}}}
nodeRegistration:
  name: master1
  criSocket: unix://{cri}
  kubeletExtraArgs:
    - {{name: node-ip, value: 127.0.0.1}}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: {version}
controlPlaneEndpoint: 127.0.0.1:{port}
certificatesDir: /etc/kubernetes/pki
networking: {{dnsDomain: cluster.local, podSubnet: 10.244.0.0/16, serviceSubnet: 10.96.0.0/12}}
etcd:
  external:
    endpoints: ["{etcd}"]
    caFile: /etc/kubernetes/pki/etcd/ca.crt
    certFile: /etc/kubernetes/pki/apiserver-etcd-client.crt
    keyFile: /etc/kubernetes/pki/apiserver-etcd-client.key
apiServer:
  extraArgs:
    - {{name: profiling, value: "false"}}
controllerManager:
  extraArgs:
    - {{name: secure-port, value: "{kcm}"}}
scheduler:
  extraArgs:
    - {{name: secure-port, value: "{sched}"}}
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
clusterDNS: [169.254.25.10]
healthzPort: {healthz}
"""


@contextlib.contextmanager
def control_plane(
    tools: Tools, pki: Pki, kubeadm: Path, folder: Path, *init_args: str
) -> Iterator[Cluster]:
    """``kubeadm init`` (with ``init_args``) of master1 in ``folder``, torn down on exit."""
    etcd: Running = start_etcd(tools, pki, folder)
    cri = folder / "containerd.sock"
    cri_socket(cri)
    fakebin = folder / "fakebin"
    fakebin.mkdir()
    (fakebin / "systemctl").write_text(SYSTEMCTL)
    (fakebin / "systemctl").chmod(0o755)
    bins = ("kubelet", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
    master = make_host(folder, "master1", bins)
    shutil.copytree(pki.root / "pki", master.root / "etc/kubernetes/pki")
    port = free_port()
    text = CLUSTER_CONFIG.format(
        port=port, cri=cri, version=VERSION, etcd=etcd.url, kcm=free_port(), sched=free_port(),
        healthz=master.healthz,
    )  # fmt: skip
    (folder / "init.yaml").write_text(text)
    hosts = [master]
    try:
        args = ["init", "--config", str(folder / "init.yaml"), *init_args]
        args.append("--ignore-preflight-errors=Port-10250,Mem,NumCPU")
        init = run(kubeadm, *args, root=master.root, path=str(fakebin))
        assert init.returncode == 0, init.stdout + init.stderr + master.kubelet_log()
        yield Cluster(kubeadm, fakebin, master, port, init, tools.kubectl, folder)
    finally:
        for host in hosts + [
            Host(p.name, p, 0) for p in folder.iterdir() if (p / "kubelet.pid").is_file()
        ]:
            stop_host(host)
        etcd.stop()


@pytest.fixture(scope="module")
def cluster(
    tools: Tools, pki: Pki, kubeadm: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("kubeadm-cluster")
    with control_plane(tools, pki, kubeadm, folder, "--upload-certs") as made:
        yield made


def test_init_writes_kubeadm_layout_and_brings_up_the_control_plane(cluster: Cluster) -> None:
    root = cluster.master.root
    out = cluster.init.stdout
    assert "Your Kubernetes control-plane has initialized successfully!" in out
    assert "[certs] Using existing apiserver certificate and key on disk" in out
    for name in (
        "admin.conf",
        "super-admin.conf",
        "kubelet.conf",
        "controller-manager.conf",
        "scheduler.conf",
    ):
        assert (root / "etc/kubernetes" / name).is_file()
    manifest = (root / "etc/kubernetes/manifests/kube-apiserver.yaml").read_text()
    assert "- --profiling=false" in manifest and "- --enable-bootstrap-token-auth=true" in manifest
    assert not (root / "etc/kubernetes/manifests/etcd.yaml").exists()  # external etcd
    config = (root / "var/lib/kubelet/config.yaml").read_text()
    assert "cgroupDriver: systemd" in config and "- 169.254.25.10" in config
    assert "--node-ip=127.0.0.1" in (root / "var/lib/kubelet/kubeadm-flags.env").read_text()
    node = cluster.kubectl_json("get", "node", "master1")
    assert node["metadata"]["labels"]["node-role.kubernetes.io/control-plane"] == ""
    assert node["spec"]["taints"][0]["key"] == "node-role.kubernetes.io/control-plane"
    pods = cluster.kubectl_json("get", "pods", "-n", "kube-system")["items"]
    phases = {p["metadata"]["name"]: p["status"]["phase"] for p in pods}
    assert phases == dict.fromkeys(
        ("kube-apiserver-master1", "kube-controller-manager-master1", "kube-scheduler-master1"),
        "Running",
    )
    stored = cluster.kubectl_json("get", "configmap", "-n", "kube-system", "kubeadm-config")
    assert "controlPlaneEndpoint" in stored["data"]["ClusterConfiguration"]


def test_node_turns_ready_when_a_cni_config_appears(cluster: Cluster) -> None:
    def ready() -> str:
        node = cluster.kubectl_json("get", "node", "master1")
        return str(node["status"]["conditions"][-1]["status"])

    assert ready() == "False"
    cni = cluster.master.root / "etc/cni/net.d"
    cni.mkdir(parents=True)
    (cni / "10-test.conflist").write_text('{"cniVersion": "1.0.0", "name": "t", "plugins": []}')
    wait_until(lambda: ready() == "True", 30, "node Ready", cluster.master.root / "kubelet.log")


def pin_of(ca: Path) -> str:
    pub = subprocess.run(
        ["openssl", "x509", "-noout", "-pubkey", "-in", str(ca)], capture_output=True, check=True
    ).stdout
    der = base64.b64decode(
        "".join(line for line in pub.decode().splitlines() if "-----" not in line)
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


def join_config(cluster: Cluster, host: Host, token: str, pin: str, control: str = "") -> str:
    return f"""apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: {cluster.endpoint}
    token: {token}
    caCertHashes: ["{pin}"]
nodeRegistration:
  name: {host.name}
  criSocket: unix://{cluster.folder / "containerd.sock"}
  kubeletExtraArgs:
    - {{name: healthz-port, value: "{host.healthz}"}}
    - {{name: node-labels, value: "node.kubernetes.io/{host.name}=true"}}
{control}"""


def test_worker_join_pins_the_ca_and_bootstraps_the_kubelet(cluster: Cluster) -> None:
    token = cluster.adm(cluster.master, "token", "create", "--ttl", "10m").stdout.strip()
    worker = make_host(cluster.folder, "worker1", ("kubelet",))
    config = cluster.folder / "join-worker1.yaml"
    config.write_text(join_config(cluster, worker, token, "sha256:" + "0" * 64))
    wrong = cluster.adm(
        worker, "join", "--config", str(config), "--ignore-preflight-errors=Port-10250"
    )
    assert wrong.returncode == 1 and "none of the public keys" in wrong.stderr
    pin = pin_of(cluster.master.root / "etc/kubernetes/pki/ca.crt")
    config.write_text(join_config(cluster, worker, token, pin))
    done = cluster.adm(
        worker, "join", "--config", str(config), "--ignore-preflight-errors=Port-10250"
    )
    assert done.returncode == 0, done.stdout + done.stderr + worker.kubelet_log()
    assert "This node has joined the cluster" in done.stdout
    assert not (worker.root / "etc/kubernetes/bootstrap-kubelet.conf").exists()
    pem = worker.root / "var/lib/kubelet/pki/kubelet-client-current.pem"
    subject = subprocess.run(
        ["openssl", "x509", "-noout", "-subject", "-in", str(pem)], capture_output=True, text=True
    ).stdout
    assert "CN = system:node:worker1" in subject and "O = system:nodes" in subject
    node = cluster.kubectl_json("get", "node", "worker1")
    assert node["metadata"]["labels"]["node.kubernetes.io/worker1"] == "true"
    reset = cluster.adm(worker, "reset", "-f")
    assert reset.returncode == 0 and not (worker.root / "etc/kubernetes/kubelet.conf").exists()
    assert not (worker.root / "kubelet.pid").exists()


def test_control_plane_join_downloads_the_shared_certificates(cluster: Cluster) -> None:
    key = cluster.init.stdout.split("[upload-certs] Using certificate key:\n", 1)[1].split()[0]
    token = cluster.adm(cluster.master, "token", "create", "--ttl", "10m").stdout.strip()
    pin = pin_of(cluster.master.root / "etc/kubernetes/pki/ca.crt")
    master2 = make_host(cluster.folder, "master2", ("kubelet",))
    config = cluster.folder / "join-master2.yaml"
    control = "controlPlane:\n  localAPIEndpoint: {{advertiseAddress: 127.0.0.2}}\n"
    control += "  certificateKey: {key}\n"
    config.write_text(join_config(cluster, master2, token, pin, control.format(key="f" * 64)))
    # on one machine master2's components cannot bind master1's ports: skip their health wait
    args = ("--ignore-preflight-errors=all", "--skip-phases=wait-control-plane")
    wrong = cluster.adm(master2, "join", "--config", str(config), *args)
    assert wrong.returncode == 1 and "message authentication failed" in wrong.stderr
    config.write_text(join_config(cluster, master2, token, pin, control.format(key=key)))
    done = cluster.adm(master2, "join", "--config", str(config), *args)
    assert done.returncode == 0, done.stdout + done.stderr + master2.kubelet_log()
    pki1, pki2 = cluster.master.root / "etc/kubernetes/pki", master2.root / "etc/kubernetes/pki"
    for name in ("ca.key", "sa.key", "front-proxy-ca.key"):
        assert (pki2 / name).read_bytes() == (pki1 / name).read_bytes()
    assert "[certs] Generating apiserver certificate and key" in done.stdout
    argv = [
        "openssl",
        "x509",
        "-noout",
        "-ext",
        "subjectAltName",
        "-in",
        str(pki2 / "apiserver.crt"),
    ]
    sans = subprocess.run(argv, capture_output=True, text=True).stdout
    assert "IP Address:127.0.0.2" in sans and "DNS:master2" in sans
    node = cluster.kubectl_json("get", "node", "master2")
    assert "node-role.kubernetes.io/control-plane" in node["metadata"]["labels"]


def test_tokens_are_listed_and_deleted_with_their_signature(cluster: Cluster) -> None:
    token = cluster.adm(
        cluster.master, "token", "create", "--ttl", "5m", "--description", "t"
    ).stdout.strip()
    token_id = token.split(".")[0]
    assert token in cluster.adm(cluster.master, "token", "list").stdout
    info = cluster.kubectl_json("get", "configmap", "-n", "kube-public", "cluster-info")
    assert f"jws-kubeconfig-{token_id}" in info["data"]
    line = cluster.adm(cluster.master, "token", "create", "--print-join-command").stdout
    assert line.startswith(f"kubeadm join {cluster.endpoint} --token ")
    assert pin_of(cluster.master.root / "etc/kubernetes/pki/ca.crt") in line
    done = cluster.adm(cluster.master, "token", "delete", token_id)
    assert done.returncode == 0 and f'bootstrap token "{token_id}" deleted' in done.stdout
    assert token not in cluster.adm(cluster.master, "token", "list").stdout
    info = cluster.kubectl_json("get", "configmap", "-n", "kube-public", "cluster-info")
    assert f"jws-kubeconfig-{token_id}" not in info["data"]
    again = cluster.adm(cluster.master, "token", "delete", token_id)
    assert again.returncode == 1 and "not found" in again.stderr


def test_a_second_init_is_refused_by_preflight(cluster: Cluster) -> None:
    done = cluster.adm(cluster.master, "init", "--config", str(cluster.folder / "init.yaml"))
    assert done.returncode == 1
    assert "[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]" in done.stderr
    assert f"[ERROR Port-{cluster.port}]" in done.stderr


# --------------------------------------------------------------------------- an interrupted init

LATER_PHASES = (
    "upload-config",
    "mark-control-plane",
    "bootstrap-token",
    "kubelet-finalize",
    "addon",
    "show-join-command",
)
FINISH = (
    ("upload-config", "all"),
    ("mark-control-plane",),
    ("bootstrap-token", "--skip-token-print"),
    ("kubelet-finalize", "all"),
    ("addon", "all"),
)
OBJECTS = (
    ("configmap", "-n", "kube-system", "kubeadm-config"),
    ("configmap", "-n", "kube-system", "kubelet-config"),
    ("configmap", "-n", "kube-public", "cluster-info"),
    ("deployment", "-n", "kube-system", "coredns"),
    ("daemonset", "-n", "kube-system", "kube-proxy"),
)


def test_init_phases_check_their_command_line(kubeadm: Path, tmp_path: Path) -> None:
    config = tmp_path / "init.yaml"
    config.write_text(init_config())
    mixed = run(kubeadm, "init", "phase", "addon", "all", f"--config={config}", "--service-cidr=x")
    assert mixed.returncode == 1 and "can not mix '--config' with arguments" in mixed.stderr
    assert "unknown command" in run(kubeadm, "init", "phase", "addon").stderr
    assert "unknown command" in run(kubeadm, "init", "phase", "frobnicate").stderr
    bad = run(kubeadm, "init", "phase", "mark-control-plane", "--skip-token-print")
    assert bad.returncode == 1 and "unknown flag: --skip-token-print" in bad.stderr
    manifest = run(kubeadm, "init", "phase", "addon", "coredns", "--print-manifest")
    assert "--print-manifest: not supported by the kubexm stand-in" in manifest.stderr
    no_api = run(
        kubeadm, "init", "phase", "upload-config", "all", f"--config={config}", root=tmp_path
    )
    assert no_api.returncode == 1 and "admin.conf: no such file" in no_api.stderr


def test_an_interrupted_init_is_finished_by_its_phases_and_a_worker_joins(
    tools: Tools, pki: Pki, kubeadm: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("kubeadm-interrupted")
    skip = f"--skip-phases={','.join(LATER_PHASES)}"
    with control_plane(tools, pki, kubeadm, folder, skip) as half:
        assert not any(half.has(*obj) for obj in OBJECTS), "stopped before the cluster objects"
        node = half.kubectl_json("get", "node", "master1")
        assert "node-role.kubernetes.io/control-plane" not in node["metadata"]["labels"]
        config = str(half.folder / "init.yaml")
        for _ in range(2):  # the second round finds everything made: still succeeds
            for phase in FINISH:
                done = half.adm(half.master, "init", "phase", *phase, "--config", config)
                assert done.returncode == 0, done.stdout + done.stderr
                assert not re.search(r"[a-z0-9]{6}\.[a-z0-9]{16}", done.stdout), "token printed"
        assert all(half.has(*obj) for obj in OBJECTS)
        node = half.kubectl_json("get", "node", "master1")
        assert node["metadata"]["labels"]["node-role.kubernetes.io/control-plane"] == ""
        taints = [t["key"] for t in node["spec"]["taints"]]
        assert taints == ["node-role.kubernetes.io/control-plane"], "marked once"

        token = half.adm(half.master, "token", "create", "--ttl", "10m").stdout.strip()
        worker = make_host(half.folder, "worker1", ("kubelet",))
        pin = pin_of(half.master.root / "etc/kubernetes/pki/ca.crt")
        join = half.folder / "join-worker1.yaml"
        join.write_text(join_config(half, worker, token, pin))
        done = half.adm(
            worker, "join", "--config", str(join), "--ignore-preflight-errors=Port-10250"
        )
        assert done.returncode == 0, done.stdout + done.stderr + worker.kubelet_log()
        assert half.kubectl_json("get", "node", "worker1")["metadata"]["name"] == "worker1"
