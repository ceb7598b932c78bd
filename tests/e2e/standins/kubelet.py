"""kubelet stand-in: flag and KubeletConfiguration checks, node registration and status,
static pods as supervised processes with mirror pods, TLS bootstrap, ``/healthz``.

See README.md (section "kubelet and kubeadm"). ``KUBEXM_STANDIN_ROOT`` (tests only) puts the
implicit host paths (/etc/containerd, /etc/cni/net.d, /var/lib/kubelet, /usr/local/bin, the
CA key beside the client CA) under another root; paths given by flags or config are used as is.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from common import (
    COMPONENT_FLAGS,
    FLAG_CHANGES,
    LOG_FLAGS,
    Flags,
    HealthHandler,
    Kubeconfig,
    YamlError,
    bind_server,
    client_context,
    fail,
    https_request,
    load_kubeconfig,
    load_yaml,
    log,
    parse_flags,
    read_config_file,
    sd_notify_ready,
    serve,
)

# Flags of the kubelet 1.33 (from the upstream kubelet command-line reference), with what
# later minors removed. Long-gone flags (--container-runtime (1.27), --network-plugin,
# --cni-bin-dir, --cni-conf-dir (1.24, dockershim), --experimental-* ...) are not listed, so
# the kubelet refuses them like the real one.
KUBELET_FLAGS = f"""{LOG_FLAGS}
address allowed-unsafe-sysctls anonymous-auth authentication-token-webhook
authentication-token-webhook-cache-ttl authorization-mode authorization-webhook-cache-authorized-ttl
authorization-webhook-cache-unauthorized-ttl bootstrap-kubeconfig cert-dir cgroup-driver
cgroup-root cgroups-per-qos client-ca-file cloud-config cloud-provider cluster-dns cluster-domain
config config-dir container-log-max-files container-log-max-size container-runtime-endpoint
contention-profiling cpu-cfs-quota cpu-cfs-quota-period cpu-manager-policy
cpu-manager-policy-options cpu-manager-reconcile-period enable-controller-attach-detach
enable-debugging-handlers enable-server enforce-node-allocatable event-burst event-qps
eviction-hard eviction-max-pod-grace-period eviction-minimum-reclaim
eviction-pressure-transition-period eviction-soft eviction-soft-grace-period
exit-on-lock-contention experimental-allocatable-ignore-eviction experimental-mounter-path
fail-cgroupv1 fail-swap-on feature-gates file-check-frequency hairpin-mode healthz-bind-address
healthz-port hostname-override http-check-frequency image-credential-provider-bin-dir
image-credential-provider-config image-gc-high-threshold image-gc-low-threshold
image-service-endpoint kernel-memcg-notification kube-api-burst kube-api-content-type
kube-api-qps kube-reserved kube-reserved-cgroup kubeconfig kubelet-cgroups
local-storage-capacity-isolation lock-file make-iptables-util-chains manifest-url
manifest-url-header max-open-files max-pods maximum-dead-containers memory-manager-policy
minimum-container-ttl-duration minimum-image-ttl-duration node-ip node-labels
node-status-max-images node-status-update-frequency oom-score-adj pod-cidr
pod-infra-container-image pod-manifest-path pod-max-pids pods-per-core port
protect-kernel-defaults provider-id qos-reserved read-only-port register-node
register-schedulable register-with-taints registry-burst registry-qps reserved-cpus
reserved-memory resolv-conf root-dir rotate-certificates rotate-server-certificates runonce
runtime-cgroups runtime-request-timeout seccomp-default serialize-image-pulls
streaming-connection-idle-timeout sync-frequency system-cgroups system-reserved
system-reserved-cgroup tls-cert-file tls-cipher-suites tls-min-version tls-private-key-file
topology-manager-policy topology-manager-policy-options topology-manager-scope
volume-plugin-dir volume-stats-agg-period"""
COMPONENT_FLAGS["kubelet"] = KUBELET_FLAGS
# kubernetes/kubernetes#133779: --pod-infra-container-image is gone from 1.35 on.
FLAG_CHANGES[(1, 35)]["kubelet"] = "-pod-infra-container-image"

KUBELET_BOOL_TEXT = """
anonymous-auth authentication-token-webhook cgroups-per-qos contention-profiling cpu-cfs-quota
enable-controller-attach-detach enable-debugging-handlers enable-server exit-on-lock-contention
experimental-allocatable-ignore-eviction fail-cgroupv1 fail-swap-on kernel-memcg-notification
local-storage-capacity-isolation make-iptables-util-chains protect-kernel-defaults register-node
register-schedulable rotate-certificates rotate-server-certificates runonce seccomp-default
serialize-image-pulls log-json-split-stream log-text-split-stream version help
"""
KUBELET_BOOL_FLAGS = frozenset(KUBELET_BOOL_TEXT.split())

DEFAULT_RUNTIME = "unix:///run/containerd/containerd.sock"
CNI_DIR = "/etc/cni/net.d"
PKI_DIR = "/var/lib/kubelet/pki"
ALLOWED_LABELS_TEXT = """
kubernetes.io/hostname kubernetes.io/arch kubernetes.io/os beta.kubernetes.io/arch
beta.kubernetes.io/os beta.kubernetes.io/instance-type node.kubernetes.io/instance-type failure-
domain.beta.kubernetes.io/region failure-domain.beta.kubernetes.io/zone
topology.kubernetes.io/region topology.kubernetes.io/zone
"""
ALLOWED_LABELS = frozenset(ALLOWED_LABELS_TEXT.split())
ALLOWED_LABEL_NAMESPACES = ("kubelet.kubernetes.io", "node.kubernetes.io")
NOT_READY = (
    "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
    "message:Network plugin returns error: cni plugin not initialized"
)
CSR_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet"


def root_path(path: str) -> Path:
    """An implicit host path, under ``KUBEXM_STANDIN_ROOT`` when tests set it."""
    root = os.environ.get("KUBEXM_STANDIN_ROOT", "")
    return Path(root + path) if root else Path(path)


def now_rfc3339() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- flags and config


def normalize_bool_flags(argv: list[str]) -> list[str]:
    """``--fail-swap-on`` -> ``--fail-swap-on=true`` for the kubelet's boolean flags."""
    out = []
    for arg in argv:
        name = arg[2:] if arg.startswith("--") and "=" not in arg else ""
        out.append(f"{arg}=true" if name in KUBELET_BOOL_FLAGS - {"version", "help"} else arg)
    return out


KNOWN_CONFIG_TEXT = """
apiVersion kind enableServer staticPodPath podLogsDir syncFrequency fileCheckFrequency
httpCheckFrequency staticPodURL staticPodURLHeader address port readOnlyPort tlsCertFile
tlsPrivateKeyFile tlsCipherSuites tlsMinVersion rotateCertificates serverTLSBootstrap
authentication authorization registryPullQPS registryBurst
imagePullCredentialsVerificationPolicy preloadedImagesVerificationAllowlist eventRecordQPS
eventBurst enableDebuggingHandlers enableContentionProfiling healthzPort healthzBindAddress
oomScoreAdj clusterDomain clusterDNS streamingConnectionIdleTimeout nodeStatusUpdateFrequency
nodeStatusReportFrequency nodeLeaseDurationSeconds imageMinimumGCAge imageMaximumGCAge
imageGCHighThresholdPercent imageGCLowThresholdPercent volumeStatsAggPeriod kubeletCgroups
systemCgroups cgroupRoot cgroupsPerQOS cgroupDriver cpuManagerPolicy singleProcessOOMKill
cpuManagerPolicyOptions cpuManagerReconcilePeriod memoryManagerPolicy topologyManagerPolicy
topologyManagerScope topologyManagerPolicyOptions qosReserved runtimeRequestTimeout hairpinMode
maxPods podCIDR podPidsLimit resolvConf runOnce cpuCFSQuota cpuCFSQuotaPeriod
nodeStatusMaxImages maxOpenFiles contentType kubeAPIQPS kubeAPIBurst serializeImagePulls
maxParallelImagePulls evictionHard evictionSoft evictionSoftGracePeriod
evictionPressureTransitionPeriod evictionMaxPodGracePeriod evictionMinimumReclaim
mergeDefaultEvictionSettings podsPerCore enableControllerAttachDetach protectKernelDefaults
makeIPTablesUtilChains iptablesMasqueradeBit iptablesDropBit featureGates failSwapOn memorySwap
containerLogMaxSize containerLogMaxFiles containerLogMaxWorkers containerLogMonitorInterval
configMapAndSecretChangeDetectionStrategy systemReserved kubeReserved reservedSystemCPUs
showHiddenMetricsForVersion systemReservedCgroup kubeReservedCgroup enforceNodeAllocatable
allowedUnsafeSysctls volumePluginDir providerID kernelMemcgNotification logging
enableSystemLogHandler enableSystemLogQuery shutdownGracePeriod shutdownGracePeriodCriticalPods
shutdownGracePeriodByPodPriority crashLoopBackOff reservedMemory enableProfilingHandler
enableDebugFlagsHandler seccompDefault memoryThrottlingFactor registerWithTaints registerNode
tracing localStorageCapacityIsolation containerRuntimeEndpoint imageServiceEndpoint failCgroupV1
userNamespaces
"""
KNOWN_CONFIG_FIELDS = frozenset(KNOWN_CONFIG_TEXT.split())


def load_kubelet_config(flags: Flags) -> dict[str, Any]:
    """The KubeletConfiguration of ``--config``, checked like the kubelet's loader does."""
    if not flags.get("config"):
        return {}
    path = flags["config"]
    if not Path(path).is_file():
        fail(
            f"failed to load kubelet config file, path: {path}, error: open {path}: "
            "no such file or directory"
        )
    config = read_config_file("config", path)
    if (
        config.get("kind") != "KubeletConfiguration"
        or config.get("apiVersion") != "kubelet.config.k8s.io/v1beta1"
    ):
        fail(
            f"failed to load kubelet config file, path: {path}: no kind "
            f'"{config.get("kind")}" is registered for version "{config.get("apiVersion")}" '
            "(want kubelet.config.k8s.io/v1beta1 KubeletConfiguration)"
        )
    unknown = sorted(set(config) - KNOWN_CONFIG_FIELDS)
    if unknown:
        log(
            f"strict decoding error: unknown field(s) {unknown} in {path}; using lenient decoding",
            "W",
        )
    return config


def check_cluster_dns(config: dict[str, Any]) -> None:
    for entry in config.get("clusterDNS") or []:
        try:
            ipaddress.ip_address(str(entry))
        except ValueError:
            fail(
                f"invalid configuration: clusterDNS: Invalid value: {entry!r}: "
                "must be a valid IP address"
            )


def containerd_cgroup_driver() -> tuple[str, str]:
    """(driver, why) from /etc/containerd/config.toml's runc ``SystemdCgroup`` option."""
    path = root_path("/etc/containerd/config.toml")
    if not path.is_file():
        return "cgroupfs", f"{path} does not exist (containerd's default: SystemdCgroup = false)"
    found = re.findall(r"^\s*SystemdCgroup\s*=\s*(true|false)\s*$", path.read_text(), re.MULTILINE)
    if not found:
        return "cgroupfs", f"{path} does not set SystemdCgroup (default false)"
    return (
        "systemd" if found[-1] == "true" else "cgroupfs"
    ), f"{path}: SystemdCgroup = {found[-1]}"


def check_cgroup_driver(config: dict[str, Any], flags: Flags) -> None:
    wanted = str(flags.get("cgroup-driver") or config.get("cgroupDriver") or "cgroupfs")
    if wanted not in ("systemd", "cgroupfs"):
        fail(
            f'invalid configuration: cgroupDriver: Invalid value: "{wanted}": '
            "must be systemd or cgroupfs"
        )
    runtime, why = containerd_cgroup_driver()
    if wanted != runtime:
        fail(
            f'kubelet cgroup driver: "{wanted}" is different from the container runtime\'s: '
            f'"{runtime}" ({why}); pods would fail with a cgroup driver mismatch'
        )


def runtime_problem(endpoint: str) -> str | None:
    """Why the CRI endpoint does not answer (``crictl info`` if installed, else a connect)."""
    if not endpoint.startswith("unix://"):
        return f"unsupported runtime endpoint {endpoint!r} (want unix://)"
    crictl = shutil.which("crictl")
    if crictl:
        done = subprocess.run(
            [crictl, "--runtime-endpoint", endpoint, "info"], capture_output=True, check=False
        )
        return None if done.returncode == 0 else done.stderr.decode(errors="replace").strip()[-200:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(3)
        try:
            sock.connect(endpoint.removeprefix("unix://"))
        except OSError as exc:
            return str(exc)
    return None


def parse_labels(text: str) -> dict[str, str]:
    """``--node-labels``: key=value pairs; kubernetes.io/k8s.io keys only from the allowed set."""
    labels = {}
    for pair in (p for p in text.split(",") if p):
        key, eq, value = pair.partition("=")
        if not eq:
            fail(f'invalid argument "{text}" for "--node-labels" flag: {pair} must be key=value')
        labels[key.strip()] = value.strip()
    bad = [k for k in labels if not _label_allowed(k)]
    if bad:
        fail(
            f"unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: {bad}\n"
            "--node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix "
            f"({', '.join(ALLOWED_LABEL_NAMESPACES)}) or be in the specifically allowed set "
            f"({', '.join(sorted(ALLOWED_LABELS))})"
        )
    return labels


def _label_allowed(key: str) -> bool:
    namespace = key.split("/", 1)[0] if "/" in key else ""
    kube = namespace.endswith(("kubernetes.io", "k8s.io"))
    if not kube or key in ALLOWED_LABELS:
        return True
    return any(namespace == n or namespace.endswith("." + n) for n in ALLOWED_LABEL_NAMESPACES)


def parse_taints(flag_value: str, config: dict[str, Any]) -> list[dict[str, str]]:
    taints = [dict(t) for t in config.get("registerWithTaints") or []]
    for item in (t for t in flag_value.split(",") if t):
        spec, _, effect = item.rpartition(":")
        key, _, value = spec.partition("=")
        taints.append({"key": key, **({"value": value} if value else {}), "effect": effect})
    for taint in taints:
        if taint.get("effect") not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            fail(f"invalid taint {taint}: effect must be NoSchedule, PreferNoSchedule or NoExecute")
    return taints


# --------------------------------------------------------------------------- apiserver client


@dataclass
class Client:
    """The apiserver as the kubelet's identity (client certificate or bootstrap token)."""

    server: str
    context: ssl.SSLContext
    token: str = ""

    def call(self, method: str, path: str, body: Any = None, ctype: str = "") -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if ctype:
            headers["Content-Type"] = ctype
        status, data = https_request(self.server + path, self.context, method, body, 10.0, headers)
        try:
            return status, json.loads(data) if data else {}
        except ValueError:
            return status, {"message": data.decode(errors="replace")[:200]}


def client_from_kubeconfig(path: str) -> Client:
    config: Kubeconfig = load_kubeconfig("kubeconfig", path)
    return Client(config.server, client_context(config.ca, config.cert, config.key))


def bootstrap_client(path: str) -> Client:
    """The bootstrap kubeconfig's cluster and token (what kubeadm join writes)."""
    data = read_config_file("bootstrap-kubeconfig", path)
    context = _pick(data.get("contexts"), str(data.get("current-context")), "context")
    cluster = _pick(data.get("clusters"), str(context.get("cluster")), "cluster")
    user = _pick(data.get("users"), str(context.get("user")), "user")
    ca = base64.b64decode(str(cluster.get("certificate-authority-data", "")))
    if not ca and cluster.get("certificate-authority"):
        ca = Path(str(cluster["certificate-authority"])).read_bytes()
    token = str(user.get("token") or "")
    if not ca or not token:
        fail(f"--bootstrap-kubeconfig {path}: needs a certificate-authority and a token")
    return Client(str(cluster.get("server", "")).rstrip("/"), client_context(ca), token)


def _pick(items: Any, name: str, kind: str) -> dict[str, Any]:
    for item in items or []:
        if isinstance(item, dict) and item.get("name") == name:
            return dict(item.get(kind) or {})
    fail(f"bootstrap kubeconfig: no {kind} named {name!r}")


# --------------------------------------------------------------------------- TLS bootstrap


def openssl_out(*args: str, data: bytes | None = None) -> bytes:
    done = subprocess.run(["openssl", *args], input=data, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"openssl {args[0]}: {done.stderr.decode(errors='replace').strip()[-200:]}"
        )
    return done.stdout


def tls_bootstrap(node: str, boot: Client, kubeconfig: str) -> None:
    """Create a node client CSR with the bootstrap token, wait until it is signed, then write
    ``/var/lib/kubelet/pki/kubelet-client-current.pem`` and ``--kubeconfig`` pointing at it."""
    key = openssl_out("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
    csr = openssl_out(
        "req",
        "-new",
        "-key",
        "/dev/stdin",
        "-subj",
        f"/O=system:nodes/CN=system:node:{node}",
        data=key,
    )
    name = f"node-csr-{secrets.token_hex(8)}"
    body = {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": name},
        "spec": {
            "request": base64.b64encode(csr).decode(),
            "signerName": CSR_SIGNER,
            "usages": ["digital signature", "client auth"],
        },
    }
    path = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
    while True:
        try:
            status, data = boot.call("POST", path, body)
        except OSError as exc:
            status, data = 0, {"message": str(exc)}
        if status in (200, 201):
            break
        log(
            "failed to create the CSR with the bootstrap token: "
            f"HTTP {status} {data.get('message', '')}",
            "E",
        )
        time.sleep(5)
    log(f"Waiting for client certificate to be issued (CSR {name})")
    cert = _wait_signed(boot, f"{path}/{name}")
    pem = root_path(PKI_DIR) / "kubelet-client-current.pem"
    pem.parent.mkdir(parents=True, exist_ok=True)
    _write_private(pem, cert + key)
    text = _kubeconfig_for(boot, pem)
    _write_private(Path(kubeconfig), text.encode())
    log(f"TLS bootstrap done: wrote {pem} and {kubeconfig}")


def _wait_signed(boot: Client, path: str) -> bytes:
    while True:
        try:
            status, data = boot.call("GET", path)
        except OSError:
            status, data = 0, {}
        conditions = (data.get("status") or {}).get("conditions") or []
        if any(c.get("type") == "Denied" for c in conditions):
            fail(f"the certificate signing request {path} was denied")
        if status == 200 and (data.get("status") or {}).get("certificate"):
            return base64.b64decode(data["status"]["certificate"])
        time.sleep(2)


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o600)
    tmp.replace(path)


def _kubeconfig_for(boot: Client, pem: Path) -> str:
    ca = boot.context.get_ca_certs(binary_form=True)
    ca_pem = ssl.DER_cert_to_PEM_cert(ca[0]) if ca else ""
    return "\n".join([
        "apiVersion: v1",
        "clusters:",
        "- cluster:",
        f"    certificate-authority-data: {base64.b64encode(ca_pem.encode()).decode()}",
        f"    server: {boot.server}",
        "  name: default-cluster",
        "contexts:",
        "- context:",
        "    cluster: default-cluster",
        "    namespace: default",
        "    user: default-auth",
        "  name: default-context",
        "current-context: default-context",
        "kind: Config",
        "preferences: {}",
        "users:",
        "- name: default-auth",
        "  user:",
        f"    client-certificate: {pem}",
        f"    client-key: {pem}",
    ]) + "\n"  # fmt: skip


# --------------------------------------------------------------------------- static pods


@dataclass
class StaticPod:
    """One manifest of staticPodPath and the process that stands for its container."""

    file: Path
    digest: str
    name: str
    namespace: str
    manifest: dict[str, Any]
    argv: list[str] = field(default_factory=list)
    problem: str = ""
    process: subprocess.Popen[bytes] | None = None
    started: str = ""
    restarts: int = 0
    next_start: float = 0.0
    backoff: float = 1.0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def binary_for(command: str) -> Path | None:
    """Where the container's command lives on this host (the stand-ins are in /usr/local/bin)."""
    name = Path(command).name
    candidates = [root_path(command)] if command.startswith("/") else []
    candidates += [root_path(f"/usr/local/bin/{name}"), root_path(f"/usr/bin/{name}")]
    return next((c for c in candidates if c.is_file() and os.access(c, os.X_OK)), None)


def read_static_pod(file: Path, text: str) -> StaticPod:
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    try:
        pod = load_yaml(text)
    except (YamlError, ValueError) as exc:
        return StaticPod(
            file, digest, file.stem, "default", {}, problem=f"cannot parse {file}: {exc}"
        )
    if not isinstance(pod, dict) or pod.get("kind") != "Pod":
        return StaticPod(file, digest, file.stem, "default", {}, problem=f"{file} is not a Pod")
    meta = pod.get("metadata") or {}
    static = StaticPod(
        file,
        digest,
        str(meta.get("name") or file.stem),
        str(meta.get("namespace") or "default"),
        pod,
    )
    containers = (pod.get("spec") or {}).get("containers") or []
    if not containers or not (containers[0].get("command") or containers[0].get("args")):
        static.problem = (
            "the first container has no command (the image's entrypoint cannot be run here)"
        )
        return static
    command = [str(c) for c in containers[0].get("command") or []]
    args = [str(a) for a in containers[0].get("args") or []]
    binary = binary_for(command[0]) if command else None
    if binary is None:
        static.problem = (
            f"executable file not found: {command[0] if command else '(none)'} (looked in "
            "/usr/local/bin and /usr/bin: the stand-in runs the container's command on the host)"
        )
        return static
    static.argv = [str(binary), *command[1:], *args]
    return static


class Supervisor:
    """Runs one process per static pod manifest; restarts on exit (back-off) and on change."""

    def __init__(self, directory: Path, node: str) -> None:
        self.directory = directory
        self.node = node
        self.pods: dict[Path, StaticPod] = {}
        self.lock = threading.Lock()

    def scan(self) -> None:
        seen: dict[Path, str] = {}
        if self.directory.is_dir():
            for file in sorted(self.directory.iterdir()):
                if (
                    file.is_file()
                    and not file.name.startswith(".")
                    and file.suffix in (".yaml", ".yml", ".json")
                ):
                    seen[file] = file.read_text(encoding="utf-8", errors="replace")
        with self.lock:
            for file in [f for f in self.pods if f not in seen]:
                log(f"static pod {file} removed: stopping it")
                self._stop(self.pods.pop(file))
            for file, text in seen.items():
                pod = read_static_pod(file, text)
                old = self.pods.get(file)
                if old is not None and old.digest == pod.digest:
                    continue
                if old is not None:
                    log(f"static pod {file} changed: restarting {old.name}")
                    self._stop(old)
                if pod.problem:
                    log(
                        f'Error syncing pod "{pod.namespace}/{pod.name}-{self.node}": '
                        f"cannot start: {pod.problem}",
                        "E",
                    )
                self.pods[file] = pod
            for pod in self.pods.values():
                self._keep_running(pod)

    def _keep_running(self, pod: StaticPod) -> None:
        if pod.problem or pod.running or time.monotonic() < pod.next_start:
            return
        if pod.process is not None:
            code = pod.process.returncode
            pod.restarts += 1
            pod.backoff = min(pod.backoff * 2, 60.0)
            log(
                f"static pod {pod.namespace}/{pod.name}: container exited with {code}; "
                f"back-off {pod.backoff:.0f}s",
                "W",
            )
        pod.process = subprocess.Popen(pod.argv, start_new_session=True)
        pod.started = now_rfc3339()
        pod.next_start = time.monotonic() + pod.backoff
        log(
            f"static pod {pod.namespace}/{pod.name}: started {Path(pod.argv[0]).name} "
            f"(pid {pod.process.pid})"
        )

    @staticmethod
    def _stop(pod: StaticPod) -> None:
        if pod.process is None or pod.process.poll() is not None:
            return
        pod.process.terminate()
        try:
            pod.process.wait(10)
        except subprocess.TimeoutExpired:
            pod.process.kill()
            pod.process.wait()

    def stop_all(self) -> None:
        with self.lock:
            for pod in self.pods.values():
                self._stop(pod)

    def signature(self) -> str:
        """What the mirror pods show, as one string (changes when any of it changes)."""
        return "|".join(f"{p.name}:{p.digest}:{p.running}:{p.restarts}" for p in self.snapshot())

    def snapshot(self) -> list[StaticPod]:
        with self.lock:
            return list(self.pods.values())


# --------------------------------------------------------------------------- node and mirror pods


@dataclass
class NodeState:
    name: str
    address: str
    labels: dict[str, str]
    taints: list[dict[str, str]]
    max_pods: int
    registered: bool = False
    cni_ready: bool | None = None


def node_address(flags: Flags) -> str:
    if flags.get("node-ip"):
        return flags["node-ip"].split(",")[0]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))
            return str(sock.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def cni_configured() -> bool:
    directory = root_path(CNI_DIR)
    return directory.is_dir() and any(
        f.suffix in (".conf", ".conflist", ".json") for f in directory.iterdir() if f.is_file()
    )


def runtime_version() -> str:
    binary = shutil.which("containerd")
    if binary is None:
        return "containerd://unknown"
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"\s(v?\d+\.\d+\.\d+)", out)
    return f"containerd://{match.group(1).lstrip('v') if match else 'unknown'}"


def os_image() -> str:
    release = Path("/etc/os-release")
    text = release.read_text() if release.is_file() else ""
    match = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', text, re.MULTILINE)
    return match.group(1) if match else "Linux"


def node_status(state: NodeState, version: str) -> dict[str, Any]:
    now = now_rfc3339()
    ready = cni_configured()
    cpus = str(os.cpu_count() or 1)
    memory = f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') // 1024}Ki"
    capacity = {
        "cpu": cpus,
        "memory": memory,
        "pods": str(state.max_pods),
        "ephemeral-storage": "10Gi",
    }
    conditions = [
        _condition(kind, "False", f"KubeletHas{reason}", f"kubelet has {text}", now)
        for kind, reason, text in (
            ("MemoryPressure", "SufficientMemory", "sufficient memory available"),
            ("DiskPressure", "NoDiskPressure", "no disk pressure"),
            ("PIDPressure", "SufficientPID", "sufficient PID available"),
        )
    ]
    conditions.append(
        _condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now)
        if ready
        else _condition("Ready", "False", "KubeletNotReady", NOT_READY, now)
    )
    return {
        "addresses": [
            {"type": "InternalIP", "address": state.address},
            {"type": "Hostname", "address": state.name},
        ],
        "allocatable": capacity,
        "capacity": capacity,
        "conditions": conditions,
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "architecture": "amd64", "bootID": "", "containerRuntimeVersion": runtime_version(),
            "kernelVersion": platform.release(), "kubeProxyVersion": "", "kubeletVersion": version,
            "machineID": "", "operatingSystem": "linux", "osImage": os_image(), "systemUUID": "",
        },
    }  # fmt: skip


def _condition(kind: str, status: str, reason: str, message: str, now: str) -> dict[str, str]:
    return {
        "type": kind, "status": status, "reason": reason, "message": message,
        "lastHeartbeatTime": now, "lastTransitionTime": now,
    }  # fmt: skip


def register_node(api: Client, state: NodeState, version: str) -> None:
    labels = {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": state.name,
        "kubernetes.io/os": "linux",
        **state.labels,
    }  # fmt: skip
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": state.name,
            "labels": labels,
            "annotations": {"volumes.kubernetes.io/controller-managed-attach-detach": "true"},
        },
        "spec": {"taints": state.taints} if state.taints else {},
        "status": node_status(state, version),
    }
    status, data = api.call("POST", "/api/v1/nodes", node)
    if status in (200, 201, 409):
        log(
            f'Successfully registered node "{state.name}"'
            if status != 409
            else f'node "{state.name}" already registered'
        )
        state.registered = True
        return
    raise OSError(
        f"Unable to register node with API server: HTTP {status} {data.get('message', '')}"
    )


CNI_ANNOTATION = "standin.kubexm.io/cni-config"


def install_cni_config(api: Client) -> None:
    """Stand in for a CNI DaemonSet's install-cni init container, since no container runs
    here: a DaemonSet annotated ``standin.kubexm.io/cni-config: <configmap>/<key>/<file>``
    (only the stand-in CNI manifests in tests/e2e/standins/manifests carry it) has that
    ConfigMap key written to /etc/cni/net.d/<file>, as the init container would copy it."""
    if cni_configured():
        return
    code, data = api.call("GET", "/apis/apps/v1/daemonsets")
    for item in data.get("items", []) if code == 200 else []:
        spec = item.get("metadata", {}).get("annotations", {}).get(CNI_ANNOTATION, "")
        parts = spec.split("/")
        if len(parts) != 3:
            continue
        namespace = item["metadata"].get("namespace", "default")
        code, cm = api.call("GET", f"/api/v1/namespaces/{namespace}/configmaps/{parts[0]}")
        content = cm.get("data", {}).get(parts[1]) if code == 200 else None
        if content:
            target = root_path(CNI_DIR) / parts[2]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            log(f"stand-in install-cni: wrote {target} from {namespace}/{parts[0]}")


def update_node_status(api: Client, state: NodeState, version: str) -> None:
    install_cni_config(api)
    status = node_status(state, version)
    ready = status["conditions"][-1]["status"] == "True"
    if ready != state.cni_ready:
        log(
            "Node became ready"
            if ready
            else f'"Container runtime network not ready" networkReady="{NOT_READY}"',
            "I" if ready else "E",
        )
        state.cni_ready = ready
    code, data = api.call(
        "PATCH",
        f"/api/v1/nodes/{state.name}/status",
        {"status": status},
        "application/strategic-merge-patch+json",
    )
    if code == 404:
        state.registered = False
    if code >= 300:
        raise OSError(f"Error updating node status: HTTP {code} {data.get('message', '')}")
    _renew_lease(api, state.name)


def _renew_lease(api: Client, node: str) -> None:
    path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    spec = {"holderIdentity": node, "leaseDurationSeconds": 40, "renewTime": now}
    code, current = api.call("GET", f"{path}/{node}")
    if code == 404:
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": node, "namespace": "kube-node-lease"},
            "spec": spec,
        }
        api.call("POST", path, body)
    elif code == 200:
        api.call(
            "PUT", f"{path}/{node}", {**current, "spec": {**(current.get("spec") or {}), **spec}}
        )


def mirror_pod(pod: StaticPod, state: NodeState) -> dict[str, Any]:
    """The mirror Pod ``<name>-<node>`` the real kubelet keeps for a static pod."""
    spec = dict(pod.manifest.get("spec") or {})
    spec["nodeName"] = state.name
    labels = dict((pod.manifest.get("metadata") or {}).get("labels") or {})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{pod.name}-{state.name}",
            "namespace": pod.namespace,
            "labels": labels,
            "annotations": {
                "kubernetes.io/config.hash": pod.digest,
                "kubernetes.io/config.mirror": pod.digest,
                "kubernetes.io/config.source": "file",
            },
        },
        "spec": spec,
        "status": pod_status(pod, state),
    }


def pod_status(pod: StaticPod, state: NodeState) -> dict[str, Any]:
    now = now_rfc3339()
    containers = (pod.manifest.get("spec") or {}).get("containers") or [{}]
    name = str(containers[0].get("name") or pod.name)
    if pod.running:
        phase, cstate = "Running", {"running": {"startedAt": pod.started}}
    elif pod.problem:
        phase, cstate = (
            "Pending",
            {"waiting": {"reason": "CreateContainerError", "message": pod.problem}},
        )
    else:
        phase, cstate = (
            "Pending",
            {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off restarting"}},
        )
    ready = "True" if pod.running else "False"
    return {
        "phase": phase,
        "conditions": [
            {"type": kind, "status": ready, "lastTransitionTime": now}
            for kind in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
        ],
        "containerStatuses": [{
            "name": name, "ready": pod.running, "restartCount": pod.restarts,
            "started": pod.running,
            "state": cstate, "image": str(containers[0].get("image", "")), "imageID": "",
        }],
        "hostIP": state.address,
        "podIP": state.address,
        "podIPs": [{"ip": state.address}],
        "startTime": pod.started or now,
        "qosClass": "Burstable",
    }  # fmt: skip


def sync_mirror_pods(api: Client, supervisor: Supervisor, state: NodeState) -> None:
    wanted = {}
    for pod in supervisor.snapshot():
        if pod.manifest:
            mirror = mirror_pod(pod, state)
            wanted[(pod.namespace, mirror["metadata"]["name"])] = mirror
    for (namespace, name), mirror in wanted.items():
        base = f"/api/v1/namespaces/{namespace}/pods"
        code, current = api.call("GET", f"{base}/{name}")
        if code == 404:
            api.call("POST", base, mirror)
            code, current = api.call("GET", f"{base}/{name}")
        if code != 200:
            continue
        if (current.get("metadata") or {}).get("annotations", {}).get(
            "kubernetes.io/config.hash"
        ) != mirror["metadata"]["annotations"]["kubernetes.io/config.hash"]:
            api.call("DELETE", f"{base}/{name}")
            api.call("POST", base, mirror)
        _put_status(api, f"{base}/{name}", mirror["status"])
    _drop_stale_mirrors(api, state, wanted)


def _put_status(api: Client, path: str, status: dict[str, Any]) -> None:
    code, _ = api.call(
        "PATCH", f"{path}/status", {"status": status}, "application/merge-patch+json"
    )
    if code >= 300:
        api.call("PATCH", path, {"status": status}, "application/merge-patch+json")


def _drop_stale_mirrors(api: Client, state: NodeState, wanted: dict[tuple[str, str], Any]) -> None:
    code, listed = api.call("GET", "/api/v1/pods")
    if code != 200:
        return
    for item in listed.get("items") or []:
        meta = item.get("metadata") or {}
        mine = (item.get("spec") or {}).get("nodeName") == state.name
        mirror = "kubernetes.io/config.mirror" in (meta.get("annotations") or {})
        if mine and mirror and (meta.get("namespace"), meta.get("name")) not in wanted:
            api.call(
                "DELETE", f"/api/v1/namespaces/{meta.get('namespace')}/pods/{meta.get('name')}"
            )


# --------------------------------------------------------------------------- main


def connect(flags: Flags, node: str) -> Client | None:
    """The apiserver client: ``--kubeconfig`` if it exists, else TLS bootstrap with
    ``--bootstrap-kubeconfig``; None (standalone mode) when neither flag is given."""
    kubeconfig, boot = flags.get("kubeconfig", ""), flags.get("bootstrap-kubeconfig", "")
    if kubeconfig and Path(kubeconfig).is_file():
        return client_from_kubeconfig(kubeconfig)
    if boot:
        if not Path(boot).is_file():
            fail(
                f"failed to run Kubelet: unable to load bootstrap kubeconfig: stat {boot}: "
                "no such file or directory"
            )
        if not kubeconfig:
            fail(
                "--bootstrap-kubeconfig needs --kubeconfig (where the bootstrapped credentials go)"
            )
        tls_bootstrap(node, bootstrap_client(boot), kubeconfig)
        return client_from_kubeconfig(kubeconfig)
    if kubeconfig:
        fail(
            f"failed to run Kubelet: invalid kubeconfig: stat {kubeconfig}: "
            "no such file or directory"
        )
    log("No API server defined - no node status update will be sent")
    return None


def check_serving_files(config: dict[str, Any], flags: Flags) -> Path | None:
    """tlsCertFile/tlsPrivateKeyFile and the client CA exist; returns the client CA file."""
    for what, value in (
        ("tlsCertFile", flags.get("tls-cert-file") or config.get("tlsCertFile")),
        ("tlsPrivateKeyFile", flags.get("tls-private-key-file") or config.get("tlsPrivateKeyFile")),
    ):
        if value and not Path(str(value)).is_file():
            fail(f"{what}: open {value}: no such file or directory")
    x509 = (config.get("authentication") or {}).get("x509") or {}
    ca = flags.get("client-ca-file") or x509.get("clientCAFile")
    if not ca:
        return None
    if not Path(str(ca)).is_file():
        fail(
            f"failed to run Kubelet: unable to load client CA file {ca}: open {ca}: "
            "no such file or directory"
        )
    return Path(str(ca))


def duration_seconds(text: Any, default: float) -> float:
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s)", str(text or ""))
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * scale[u] for n, u in parts) or default


def api_loop(
    api: Client, state: NodeState, supervisor: Supervisor | None, version: str,
    period: float, stop: threading.Event,
) -> None:  # fmt: skip
    """Register the Node, keep its status and lease, and keep the mirror pods (at once when a
    static pod changes, else with every status update)."""
    next_status, synced = 0.0, ""
    while not stop.is_set():
        try:
            if not state.registered:
                register_node(api, state, version)
            due = time.monotonic() >= next_status
            if due:
                update_node_status(api, state, version)
                next_status = time.monotonic() + period
            pods = supervisor.signature() if supervisor is not None else ""
            if supervisor is not None and (due or pods != synced):
                sync_mirror_pods(api, supervisor, state)
                synced = pods
        except (OSError, ssl.SSLError, RuntimeError, ValueError) as exc:
            log(f"apiserver {api.server}: {exc}", "E")
            synced = ""
        stop.wait(1.0)


def start_healthz(config: dict[str, Any], flags: Flags) -> None:
    host = str(flags.get("healthz-bind-address") or config.get("healthzBindAddress") or "127.0.0.1")
    port = int(flags.get("healthz-port") or config.get("healthzPort", 10248))
    if port > 0:
        handler: type[BaseHTTPRequestHandler] = HealthHandler
        serve(bind_server((host, port), handler, "healthz"), name="healthz")
        log(f"Starting healthz server on {host}:{port}")


def main(argv: list[str], version: str) -> int:
    """Run the kubelet stand-in until SIGTERM."""
    flags = parse_flags("kubelet", version, normalize_bool_flags(argv))
    config = load_kubelet_config(flags)
    check_cluster_dns(config)
    check_cgroup_driver(config, flags)
    endpoint = str(
        flags.get("container-runtime-endpoint")
        or config.get("containerRuntimeEndpoint")
        or DEFAULT_RUNTIME
    )
    if (problem := runtime_problem(endpoint)) is not None:
        fail(
            "failed to run Kubelet: validate service connection: validate CRI v1 runtime API "
            f'for endpoint "{endpoint}": {problem}'
        )
    check_serving_files(config, flags)
    node = (flags.get("hostname-override") or socket.gethostname()).strip().lower()
    state = NodeState(
        node, node_address(flags), parse_labels(flags.get("node-labels", "")),
        parse_taints(flags.get("register-with-taints", ""), config),
        int(flags.get("max-pods") or config.get("maxPods", 110)),
    )  # fmt: skip
    api = connect(flags, node)
    manifests = flags.get("pod-manifest-path") or config.get("staticPodPath")
    supervisor = Supervisor(Path(str(manifests)), node) if manifests else None
    if manifests and not Path(str(manifests)).is_dir():
        log(f'Unable to read config path "{manifests}": path does not exist, ignoring', "W")
    start_healthz(config, flags)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if api is not None:
        period = duration_seconds(
            flags.get("node-status-update-frequency") or config.get("nodeStatusUpdateFrequency"),
            10.0,
        )
        args = (api, state, supervisor, version, period, stop)
        threading.Thread(target=api_loop, args=args, name="api", daemon=True).start()
    sd_notify_ready()
    log(f"kubelet stand-in {version} running as node {node} ({state.address})")
    while not stop.is_set():
        if supervisor is not None:
            supervisor.scan()
        stop.wait(1.0)
    if supervisor is not None:
        supervisor.stop_all()
    log("kubelet stand-in stopped")
    return 0
