"""Helpers and fixtures for the stand-in tests: the test bundle's real etcd and kubectl, a
kubexm PKI, the stand-ins rendered as the bundle ships them, a running etcd (mutual TLS) and a
running kube-apiserver stand-in.

Everything runs on 127.0.0.1 with free ports; without the test bundle (no apt-get, pip or
network and no warm cache) the tests that need it skip with the reason.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from tar_extract import extract_all

ROOT = Path(__file__).resolve().parents[3]
VERSION = "v1.36.4"
CLUSTER = """apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: standin}
spec:
  hosts:
    - {name: master1, address: 10.77.0.11, user: root, password: x}
  roleGroups:
    master: [master1]
    etcd: [master1]
    worker: [master1]
  kubernetes: {type: kubexm, version: v1.36.4}
  etcd: {type: kubexm}
"""


def load_builder() -> ModuleType:
    """``tests/bundle/build_test_bundle.py`` as a module."""
    name = "kubexm_build_test_bundle_standins"
    if name in sys.modules:
        return sys.modules[name]
    path = ROOT / "tests" / "bundle" / "build_test_bundle.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Tools:
    """The real binaries from the test bundle."""

    etcd: Path
    kubectl: Path


@dataclass
class Pki:
    """A kubexm PKI made by ``kubexm certs generate`` (folder ``pki``, ``kubeconfig``)."""

    root: Path

    def path(self, name: str) -> str:
        """A file under ``pki/``."""
        return str(self.root / "pki" / name)

    def kubeconfig(self, name: str, server: str, dest: Path) -> Path:
        """Copy of ``kubeconfig/<name>`` pointing at ``server``."""
        text = (self.root / "kubeconfig" / name).read_text()
        lines = [
            f"      server: {server}" if line.strip().startswith("server:") else line
            for line in text.splitlines()
        ]
        dest.write_text("\n".join(lines) + "\n")
        return dest


@dataclass
class Running:
    """A started process and what it serves."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        """Terminate the process (and wait for it)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def tools(tmp_path_factory: pytest.TempPathFactory) -> Tools:
    """etcd and kubectl from the test bundle's cache (built or reused)."""
    builder = load_builder()
    try:
        _, _, root, _ = builder.prepare()
    except builder.TestBundleUnavailable as exc:
        pytest.skip(f"cannot build the test bundle here: {exc}")
    cache = root / "cache"
    tarball = next((cache / "etcd").glob("*/amd64/etcd-v*-linux-amd64.tar.gz"))
    out = tmp_path_factory.mktemp("etcd")
    with tarfile.open(tarball) as tar:
        extract_all(tar, out)
    kubectl = next((cache / "kubectl").glob("*/amd64/kubectl"))
    return Tools(next(out.glob("*/etcd")), kubectl)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """Every certificate and kubeconfig of a one-host cluster (ECDSA keys, fast)."""
    work = tmp_path_factory.mktemp("pki")
    (work / "cluster.yaml").write_text(CLUSTER)
    argv = [sys.executable, "-c", "from kubexm.cmd.main import entry; entry()", "certs"]
    argv += ["generate", "-f", str(work / "cluster.yaml"), "--work-dir", str(work)]
    done = subprocess.run([*argv, "--key-type", "ecdsa"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return Pki(work / "standin")


@pytest.fixture(scope="session")
def standin_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the four stand-ins of this helper, rendered as the bundle ships them."""
    builder = load_builder()
    out = tmp_path_factory.mktemp("bin")
    for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"):
        builder.write_standin(name, VERSION, out / name)
    return out


def wait_until(
    check: Callable[[], object], timeout: float, what: str, log: Path | None = None
) -> None:
    """Poll ``check()`` until true; fail with the log's tail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    tail = log.read_text()[-2000:] if log and log.is_file() else ""
    pytest.fail(f"{what} did not happen within {timeout}s\n{tail}")


def start_etcd(tools: Tools, pki: Pki, folder: Path) -> Running:
    """etcd with mutual TLS on a free client port (and a free peer port)."""
    client, peer = free_port(), free_port()
    url = f"https://127.0.0.1:{client}"
    argv = [str(tools.etcd), "--name", "e1", "--data-dir", str(folder / "data")]
    argv += ["--listen-client-urls", url, "--advertise-client-urls", url]
    argv += ["--listen-peer-urls", f"http://127.0.0.1:{peer}"]
    argv += ["--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}"]
    argv += ["--initial-cluster", f"e1=http://127.0.0.1:{peer}", "--client-cert-auth"]
    argv += ["--cert-file", pki.path("etcd/master1-server.crt")]
    argv += ["--key-file", pki.path("etcd/master1-server.key")]
    argv += ["--trusted-ca-file", pki.path("etcd/ca.crt")]
    log = folder / "etcd.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    running = Running(process, url, log)
    context = ssl.create_default_context(cafile=pki.path("etcd/ca.crt"))
    context.load_cert_chain(
        pki.path("apiserver-etcd-client.crt"), pki.path("apiserver-etcd-client.key")
    )

    def healthy() -> bool:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/health", context=context, timeout=2) as r,
        ):
            return b'"true"' in r.read()
        return False

    wait_until(healthy, 20, "etcd healthy", log)
    return running


def apiserver_argv(pki: Pki, etcd_url: str, port: int) -> list[str]:
    """The flags kubexm's binary mode gives kube-apiserver (best-practice table), on 127.0.0.1."""
    p = pki.path
    flags = {
        "advertise-address": "127.0.0.1", "bind-address": "127.0.0.1", "secure-port": str(port),
        "allow-privileged": "true", "authorization-mode": "Node,RBAC",
        "anonymous-auth": "true", "client-ca-file": p("ca.crt"),
        "enable-admission-plugins": "NodeRestriction", "enable-bootstrap-token-auth": "true",
        "etcd-cafile": p("etcd/ca.crt"), "etcd-certfile": p("apiserver-etcd-client.crt"),
        "etcd-keyfile": p("apiserver-etcd-client.key"), "etcd-servers": etcd_url,
        "kubelet-client-certificate": p("apiserver-kubelet-client.crt"),
        "kubelet-client-key": p("apiserver-kubelet-client.key"),
        "kubelet-preferred-address-types": "InternalIP,ExternalIP,Hostname",
        "proxy-client-cert-file": p("front-proxy-client.crt"),
        "proxy-client-key-file": p("front-proxy-client.key"),
        "requestheader-allowed-names": "front-proxy-client",
        "requestheader-client-ca-file": p("front-proxy-ca.crt"),
        "requestheader-extra-headers-prefix": "X-Remote-Extra-",
        "requestheader-group-headers": "X-Remote-Group",
        "requestheader-username-headers": "X-Remote-User",
        "service-account-issuer": "https://kubernetes.default.svc.cluster.local",
        "service-account-key-file": p("sa.pub"), "service-account-signing-key-file": p("sa.key"),
        "service-cluster-ip-range": "10.96.0.0/12", "tls-cert-file": p("apiserver.crt"),
        "tls-private-key-file": p("apiserver.key"), "profiling": "false", "event-ttl": "1h0m0s",
    }  # fmt: skip
    return [f"--{k}={v}" for k, v in flags.items()]


def start_apiserver(standin_bin: Path, pki: Pki, etcd_url: str, folder: Path) -> Running:
    """The kube-apiserver stand-in on a free port, once it answers ``/readyz``."""
    port = free_port()
    log = folder / f"apiserver-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(standin_bin / "kube-apiserver"), *apiserver_argv(pki, etcd_url, port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Running(process, f"https://127.0.0.1:{port}", log)
    context = ssl.create_default_context(cafile=pki.path("ca.crt"))

    def ready() -> bool:
        assert process.poll() is None, log.read_text()
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{running.url}/readyz", context=context, timeout=2) as r,
        ):
            return r.read() == b"ok"
        return False

    wait_until(ready, 30, "kube-apiserver stand-in ready", log)
    return running


@pytest.fixture(scope="module")
def cluster(
    tools: Tools, pki: Pki, standin_bin: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Running, Running]]:
    """A running etcd and kube-apiserver stand-in (stopped after the module)."""
    folder = tmp_path_factory.mktemp("cluster")
    etcd = start_etcd(tools, pki, folder)
    try:
        apiserver = start_apiserver(standin_bin, pki, etcd.url, folder)
        try:
            yield etcd, apiserver
        finally:
            apiserver.stop()
    finally:
        etcd.stop()


class Kubectl:
    """The bundle's kubectl with an admin kubeconfig pointing at one apiserver."""

    def __init__(self, binary: Path, kubeconfig: Path, cache: Path) -> None:
        self.binary, self.kubeconfig, self.cache = binary, kubeconfig, cache

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig), "HOME": str(self.cache)}
        argv = [str(self.binary), f"--cache-dir={self.cache}", *args]
        return subprocess.run(
            argv, input=stdin, capture_output=True, text=True, env=env, timeout=60
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        """stdout of a kubectl run that must succeed."""
        done = self(*args, stdin=stdin)
        assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr}"
        return done.stdout


@pytest.fixture(scope="module")
def kubectl(
    cluster: tuple[Running, Running],
    tools: Tools,
    pki: Pki,
    tmp_path_factory: pytest.TempPathFactory,
) -> Kubectl:
    """kubectl as the cluster admin against the running apiserver stand-in."""
    folder = tmp_path_factory.mktemp("kubectl")
    config = pki.kubeconfig("admin.conf", cluster[1].url, folder / "admin.conf")
    shutil.rmtree(folder / "cache", ignore_errors=True)
    return Kubectl(tools.kubectl, config, folder / "cache")


def start_component(binary: Path, args: list[str], folder: Path, health_url: str) -> Running:
    """Start a stand-in and wait until ``health_url`` answers 200 (TLS not verified: the
    components serve a self-signed certificate like the real ones without --tls-cert-file).
    """
    log = folder / f"{binary.name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(binary), *args], stdout=out, stderr=subprocess.STDOUT)
    running = Running(process, health_url, log)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    def healthy() -> bool:
        assert process.poll() is None, log.read_text()
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(health_url, context=context, timeout=2) as r,
        ):
            return int(r.status) == 200
        return False

    wait_until(healthy, 30, f"{binary.name} healthy", log)
    return running


def run_standin(binary: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a stand-in that is expected to exit (a failed check or --version)."""
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=60)


def load_common() -> ModuleType:
    """``tests/e2e/standins/common.py`` as a module (name ``kubexm_standin_common``)."""
    name = "kubexm_standin_common"
    if name not in sys.modules:
        path = ROOT / "tests" / "e2e" / "standins" / "common.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
