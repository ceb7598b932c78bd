"""Shared code of the Python stand-ins (see README.md): flags, checks, YAML, HTTPS, logging.

Stdlib only (Python 3.11): the lab hosts have ``python3`` but no PyYAML. The bundle builder
joins this file with one component file into a single executable; keep every top-level name
here unique across the component files.
"""

from __future__ import annotations

import base64
import datetime
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

# ---------------------------------------------------------------------------------------------
# Flag tables. Written from the upstream command-line reference pages (kubernetes.io,
# "command-line-tools-reference/<component>") for Kubernetes 1.33 to 1.36, the newest four
# minors of kubexm/resource/data/bom.yaml; independent of kubexm's own flag tables on purpose.
# A flag not listed is unknown, as it is to the real binary (klog flags such as --logtostderr
# and --log-dir were removed in 1.26, --insecure-port in 1.24, --port/--address earlier).
# FLAG_CHANGES records what a minor added ("+name") or removed ("-name") relative to the one
# before it, applied cumulatively from BASE_MINOR.
# ---------------------------------------------------------------------------------------------

BASE_MINOR = (1, 33)
NEWEST_MINOR = (1, 36)

LOG_FLAGS = (
    "log-flush-frequency log-json-info-buffer-size log-json-split-stream "
    "log-text-info-buffer-size log-text-split-stream logging-format v vmodule"
)
METRIC_FLAGS = (
    "allow-metric-labels allow-metric-labels-manifest disabled-metrics "
    "show-hidden-metrics-for-version"
)
SECURE_SERVING_FLAGS = (
    "bind-address cert-dir http2-max-streams-per-connection permit-address-sharing "
    "permit-port-sharing secure-port tls-cert-file tls-cipher-suites tls-min-version "
    "tls-private-key-file tls-sni-cert-key"
)
DELEGATED_AUTH_FLAGS = (
    "authentication-kubeconfig authentication-skip-lookup authentication-token-webhook-cache-ttl "
    "authentication-tolerate-lookup-failure client-ca-file requestheader-allowed-names "
    "requestheader-client-ca-file requestheader-extra-headers-prefix requestheader-group-headers "
    "requestheader-uid-headers requestheader-username-headers authorization-always-allow-paths "
    "authorization-kubeconfig authorization-webhook-cache-authorized-ttl "
    "authorization-webhook-cache-unauthorized-ttl"
)
LEADER_FLAGS = (
    "leader-elect leader-elect-lease-duration leader-elect-renew-deadline "
    "leader-elect-resource-lock leader-elect-resource-name leader-elect-resource-namespace "
    "leader-elect-retry-period"
)
CLIENT_FLAGS = "kubeconfig master kube-api-burst kube-api-content-type kube-api-qps"
COMMON_FLAGS = f"{LOG_FLAGS} {METRIC_FLAGS} feature-gates emulated-version profiling"

APISERVER_FLAGS = f"""{COMMON_FLAGS} {SECURE_SERVING_FLAGS}
admission-control admission-control-config-file advertise-address
aggregator-reject-forwarding-redirect allow-privileged anonymous-auth api-audiences
apiserver-count audit-log-batch-buffer-size audit-log-batch-max-size audit-log-batch-max-wait
audit-log-batch-throttle-burst audit-log-batch-throttle-enable audit-log-batch-throttle-qps
audit-log-compress audit-log-format audit-log-maxage audit-log-maxbackup audit-log-maxsize
audit-log-mode audit-log-path audit-log-truncate-enabled audit-log-truncate-max-batch-size
audit-log-truncate-max-event-size audit-log-version audit-policy-file
audit-webhook-batch-buffer-size audit-webhook-batch-max-size audit-webhook-batch-max-wait
audit-webhook-batch-throttle-burst audit-webhook-batch-throttle-enable
audit-webhook-batch-throttle-qps audit-webhook-config-file audit-webhook-initial-backoff
audit-webhook-mode audit-webhook-truncate-enabled audit-webhook-truncate-max-batch-size
audit-webhook-truncate-max-event-size audit-webhook-version authentication-config
authentication-token-webhook-cache-ttl authentication-token-webhook-config-file
authentication-token-webhook-version authorization-config authorization-mode
authorization-policy-file authorization-webhook-cache-authorized-ttl
authorization-webhook-cache-unauthorized-ttl authorization-webhook-config-file
authorization-webhook-version client-ca-file cloud-config cloud-provider contention-profiling
coordinated-leadership-lease-duration coordinated-leadership-renew-deadline
coordinated-leadership-retry-period cors-allowed-origins debug-socket-path
default-not-ready-toleration-seconds default-unreachable-toleration-seconds
default-watch-cache-size delete-collection-workers disable-admission-plugins
disable-http2-serving egress-selector-config-file enable-admission-plugins
enable-aggregator-routing enable-bootstrap-token-auth enable-garbage-collector
enable-priority-and-fairness encryption-provider-config
encryption-provider-config-automatic-reload endpoint-reconciler-type etcd-cafile etcd-certfile
etcd-compaction-interval etcd-count-metric-poll-period etcd-db-metric-poll-interval
etcd-healthcheck-timeout etcd-keyfile etcd-prefix etcd-readycheck-timeout etcd-servers
etcd-servers-overrides event-ttl external-hostname goaway-chance kubelet-certificate-authority
kubelet-client-certificate kubelet-client-key kubelet-preferred-address-types
kubelet-read-only-port kubelet-timeout kubernetes-service-node-port lease-reuse-duration-seconds
livez-grace-period max-connection-bytes-per-sec max-mutating-requests-inflight
max-requests-inflight min-request-timeout oidc-ca-file oidc-client-id oidc-groups-claim
oidc-groups-prefix oidc-issuer-url oidc-required-claim oidc-signing-algs oidc-username-claim
oidc-username-prefix peer-advertise-ip peer-advertise-port peer-ca-file proxy-client-cert-file
proxy-client-key-file request-timeout requestheader-allowed-names requestheader-client-ca-file
requestheader-extra-headers-prefix requestheader-group-headers requestheader-uid-headers
requestheader-username-headers runtime-config service-account-extend-token-expiration
service-account-issuer service-account-jwks-uri service-account-key-file
service-account-lookup service-account-max-token-expiration service-account-signing-endpoint
service-account-signing-key-file service-cluster-ip-range service-node-port-range
shutdown-delay-duration shutdown-send-retry-after shutdown-watch-termination-grace-period
storage-backend storage-initialization-timeout storage-media-type
strict-transport-security-directives token-auth-file tracing-config-file watch-cache
watch-cache-sizes"""

CONTROLLER_MANAGER_FLAGS = f"""{COMMON_FLAGS} {SECURE_SERVING_FLAGS} {DELEGATED_AUTH_FLAGS}
{LEADER_FLAGS} {CLIENT_FLAGS}
allocate-node-cidrs attach-detach-reconcile-sync-period cidr-allocator-type cloud-config
cloud-provider cluster-cidr cluster-name cluster-signing-cert-file cluster-signing-duration
cluster-signing-key-file cluster-signing-kube-apiserver-client-cert-file
cluster-signing-kube-apiserver-client-key-file cluster-signing-kubelet-client-cert-file
cluster-signing-kubelet-client-key-file cluster-signing-kubelet-serving-cert-file
cluster-signing-kubelet-serving-key-file cluster-signing-legacy-unknown-cert-file
cluster-signing-legacy-unknown-key-file concurrent-cron-job-syncs concurrent-daemonset-syncs
concurrent-deployment-syncs concurrent-endpoint-syncs concurrent-ephemeralvolume-syncs
concurrent-gc-syncs concurrent-horizontal-pod-autoscaler-syncs concurrent-job-syncs
concurrent-namespace-syncs concurrent-rc-syncs concurrent-replicaset-syncs
concurrent-resource-quota-syncs concurrent-service-endpoint-syncs concurrent-service-syncs
concurrent-serviceaccount-token-syncs concurrent-statefulset-syncs
concurrent-ttl-after-finished-syncs concurrent-validating-admission-policy-status-syncs
configure-cloud-routes contention-profiling controller-start-interval controllers
disable-attach-detach-reconcile-sync disable-force-detach-on-timeout enable-dynamic-provisioning
enable-garbage-collector enable-hostpath-provisioner endpoint-updates-batch-period
endpointslice-updates-batch-period external-cloud-volume-plugin flex-volume-plugin-dir
horizontal-pod-autoscaler-cpu-initialization-period
horizontal-pod-autoscaler-downscale-stabilization
horizontal-pod-autoscaler-initial-readiness-delay horizontal-pod-autoscaler-sync-period
horizontal-pod-autoscaler-tolerance large-cluster-size-threshold
legacy-service-account-token-clean-up-period max-endpoints-per-slice min-resync-period
mirroring-concurrent-service-endpoint-syncs mirroring-endpointslice-updates-batch-period
mirroring-max-endpoints-per-subset namespace-sync-period node-cidr-mask-size
node-cidr-mask-size-ipv4 node-cidr-mask-size-ipv6 node-eviction-rate node-monitor-grace-period
node-monitor-period node-startup-grace-period pv-recycler-increment-timeout-nfs
pv-recycler-minimum-timeout-hostpath pv-recycler-minimum-timeout-nfs
pv-recycler-pod-template-filepath-hostpath pv-recycler-pod-template-filepath-nfs
pv-recycler-timeout-increment-hostpath pvclaimbinder-sync-period resource-quota-sync-period
root-ca-file route-reconciliation-period secondary-node-eviction-rate
service-account-private-key-file service-cluster-ip-range terminated-pod-gc-threshold
unhealthy-zone-threshold use-service-account-credentials volume-host-allow-local-loopback
volume-host-cidr-denylist"""

SCHEDULER_FLAGS = f"""{COMMON_FLAGS} {SECURE_SERVING_FLAGS} {DELEGATED_AUTH_FLAGS}
{LEADER_FLAGS} {CLIENT_FLAGS}
config contention-profiling pod-max-in-unschedulable-pods-duration write-config-to"""

KUBE_PROXY_FLAGS = f"""{LOG_FLAGS} {CLIENT_FLAGS} feature-gates profiling
show-hidden-metrics-for-version bind-address bind-address-hard-fail cleanup cluster-cidr config
config-sync-period conntrack-max-per-core conntrack-min conntrack-tcp-be-liberal
conntrack-tcp-timeout-close-wait conntrack-tcp-timeout-established conntrack-udp-timeout
conntrack-udp-timeout-stream detect-local-mode healthz-bind-address hostname-override init-only
iptables-localhost-nodeports iptables-masquerade-bit iptables-min-sync-period
iptables-sync-period ipvs-exclude-cidrs ipvs-min-sync-period ipvs-scheduler ipvs-strict-arp
ipvs-sync-period ipvs-tcp-timeout ipvs-tcpfin-timeout ipvs-udp-timeout masquerade-all
metrics-bind-address nodeport-addresses oom-score-adj pod-bridge-interface
pod-interface-name-prefix proxy-mode proxy-port-range write-config-to"""

COMPONENT_FLAGS: dict[str, str] = {
    "kube-apiserver": APISERVER_FLAGS,
    "kube-controller-manager": CONTROLLER_MANAGER_FLAGS,
    "kube-scheduler": SCHEDULER_FLAGS,
    "kube-proxy": KUBE_PROXY_FLAGS,
}

# minor -> component -> "+added -removed" relative to the minor before (cumulative).
FLAG_CHANGES: dict[tuple[int, int], dict[str, str]] = {
    (1, 34): {},
    (1, 35): {},
    (1, 36): {},
}

# Flags that take no value (``--x`` means true; ``--x=false`` is allowed).
BOOL_FLAGS_TEXT = """
    allow-privileged anonymous-auth audit-log-batch-throttle-enable audit-log-compress
    audit-log-truncate-enabled audit-webhook-batch-throttle-enable audit-webhook-truncate-enabled
    contention-profiling enable-aggregator-routing enable-bootstrap-token-auth
    enable-garbage-collector enable-priority-and-fairness
    encryption-provider-config-automatic-reload
    permit-address-sharing permit-port-sharing profiling service-account-extend-token-expiration
    service-account-lookup watch-cache log-json-split-stream log-text-split-stream leader-elect
    allocate-node-cidrs configure-cloud-routes authentication-skip-lookup
    authentication-tolerate-lookup-failure disable-attach-detach-reconcile-sync
    disable-force-detach-on-timeout enable-dynamic-provisioning enable-hostpath-provisioner
    use-service-account-credentials volume-host-allow-local-loopback bind-address-hard-fail
    cleanup conntrack-tcp-be-liberal init-only iptables-localhost-nodeports ipvs-strict-arp
    masquerade-all disable-http2-serving aggregator-reject-forwarding-redirect
    goaway-chance-disabled version help
    """
BOOL_FLAGS = set(BOOL_FLAGS_TEXT.split())

Flags = dict[str, str]


def minor_of(version: str) -> tuple[int, int]:
    """``v1.36.4`` -> (1, 36), clamped to the minors the tables know."""
    match = re.match(r"v?(\d+)\.(\d+)", version)
    minor = (int(match.group(1)), int(match.group(2))) if match else NEWEST_MINOR
    return max(BASE_MINOR, min(NEWEST_MINOR, minor))


def known_flags(component: str, version: str) -> frozenset[str]:
    """Every flag ``component`` accepts at ``version`` (plus --version and --help)."""
    flags = set(COMPONENT_FLAGS[component].split()) | {"version", "help"}
    wanted = minor_of(version)
    for minor in sorted(FLAG_CHANGES):
        if minor > wanted:
            break
        for change in FLAG_CHANGES[minor].get(component, "").split():
            (flags.add if change[0] == "+" else flags.discard)(change[1:])
    return frozenset(flags)


def _flag_error(message: str) -> NoReturn:
    print(f"Error: {message}", file=sys.stderr)
    sys.exit(1)


def parse_flags(component: str, version: str, argv: list[str]) -> Flags:
    """pflag-like parsing: ``--name=value``, ``--name value``, bare boolean ``--name``.

    Unknown flag -> ``Error: unknown flag: --x``, exit 1 (like cobra); ``--version`` prints the
    version and exits 0; a positional argument is refused like the real components do.
    """
    known = known_flags(component, version)
    flags: Flags = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "-h":
            arg = "--help"
        if arg.startswith("-v") and not arg.startswith("--"):
            arg = "--v" + (arg[2:] if arg[2:3] == "=" else "=" + arg[2:] if arg[2:] else "")
        if not arg.startswith("--"):
            _flag_error(f'"{component}" does not take any arguments, got ["{arg}"]')
        name, eq, value = arg[2:].partition("=")
        if name not in known:
            _flag_error(f"unknown flag: --{name}")
        if not eq and name not in BOOL_FLAGS:
            if i >= len(argv):
                _flag_error(f"flag needs an argument: --{name}")
            value = argv[i]
            i += 1
        flags[name] = value if eq or name not in BOOL_FLAGS else "true"
    if "version" in flags and flags["version"] != "false":
        print_version(component, version)
        sys.exit(0)
    if "help" in flags:
        print(f"Usage: {component} [flags]  (kubexm test stand-in, see tests/e2e/standins)")
        sys.exit(0)
    return flags


def print_version(component: str, version: str) -> None:
    """What the real binary prints for ``--version``."""
    if component == "kubeadm":
        print(f'kubeadm version: &version.Info{{GitVersion:"{version}", Platform:"linux/amd64"}}')
    else:
        print(f"Kubernetes {version}")


def flag_true(flags: Flags, name: str, default: bool = False) -> bool:
    """A boolean flag's value (``true``/``false``, pflag's strconv.ParseBool spellings)."""
    value = flags.get(name)
    if value is None:
        return default
    if value.lower() in ("1", "t", "true"):
        return True
    if value.lower() in ("0", "f", "false"):
        return False
    _flag_error(f'invalid argument "{value}" for "--{name}" flag: strconv.ParseBool: invalid')


# ---------------------------------------------------------------------------------------------
# Logging (stderr = the journal under systemd) and systemd readiness.
# ---------------------------------------------------------------------------------------------


def log(message: str, level: str = "I") -> None:
    """One klog-like line on stderr."""
    now = datetime.datetime.now()
    stamp = now.strftime("%m%d %H:%M:%S.%f")
    print(f"{level}{stamp} {os.getpid():7d} standin] {message}", file=sys.stderr, flush=True)


def fail(message: str) -> NoReturn:
    """Log ``message`` as an error and exit 1, as a real component does on a bad setup."""
    log(message, "E")
    sys.exit(1)


def sd_notify_ready() -> None:
    """Tell systemd the service is ready (``Type=notify`` units), if it listens."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(address)
            sock.sendall(b"READY=1")
        except OSError as exc:
            log(f"sd_notify failed: {exc}", "W")


# ---------------------------------------------------------------------------------------------
# Files and certificates (checked with the openssl command, as the lab hosts have it).
# ---------------------------------------------------------------------------------------------


def require_file(flag: str, path: str) -> Path:
    """The file named by ``--flag``; exits 1 when it does not exist."""
    file = Path(path)
    if not file.is_file():
        fail(f'--{flag}: open "{path}": no such file or directory')
    return file


def openssl_run(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """``openssl <args>`` with ``stdin``; the result (never raises on a non-zero exit)."""
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=False)


_openssl = openssl_run


def cert_problem(cert: bytes, ca: bytes | None = None) -> str | None:
    """Why PEM ``cert`` does not load (or does not chain to PEM ``ca``), or None."""
    with tempfile.TemporaryDirectory() as tmp:
        cert_file = Path(tmp, "cert.pem")
        cert_file.write_bytes(cert)
        done = _openssl(["x509", "-noout", "-in", str(cert_file)])
        if done.returncode != 0:
            return "not a PEM certificate"
        if ca is None:
            return None
        ca_file = Path(tmp, "ca.pem")
        ca_file.write_bytes(ca)
        done = _openssl(["verify", "-CAfile", str(ca_file), str(cert_file)])
        if done.returncode != 0:
            lines = (done.stdout + done.stderr).decode(errors="replace").strip().splitlines()
            reasons = [x for x in lines if x.startswith("error ") and "failed" not in x]
            return "does not chain to the CA: " + " | ".join(reasons or lines[-1:])
    return None


def key_problem(key: bytes, cert: bytes) -> str | None:
    """Why PEM ``key`` does not load or does not belong to PEM ``cert``, or None."""
    with tempfile.TemporaryDirectory() as tmp:
        key_file, cert_file = Path(tmp, "key.pem"), Path(tmp, "cert.pem")
        key_file.write_bytes(key)
        cert_file.write_bytes(cert)
        from_key = _openssl(["pkey", "-pubout", "-in", str(key_file)])
        if from_key.returncode != 0:
            return "not a PEM private key"
        from_cert = _openssl(["x509", "-noout", "-pubkey", "-in", str(cert_file)])
        if from_key.stdout.strip() != from_cert.stdout.strip():
            return "the private key does not match the certificate"
    return None


def check_private_key_flag(flags: Flags, name: str) -> None:
    """The PEM private key named by ``--name`` (when set) exists and loads."""
    if flags.get(name):
        key = require_file(name, flags[name])
        if _openssl(["pkey", "-noout", "-in", str(key)]).returncode != 0:
            fail(f"--{name} {key}: not a PEM private key")


def check_public_key_flag(flags: Flags, name: str) -> None:
    """The PEM public key(s) or certificate named by ``--name`` (when set) exist and load."""
    if flags.get(name):
        key = require_file(name, flags[name])
        loads = _openssl(["pkey", "-pubin", "-noout", "-in", str(key)]).returncode == 0
        if not loads and _openssl(["x509", "-noout", "-in", str(key)]).returncode != 0:
            fail(f"--{name} {key}: neither a PEM public key nor a certificate")


def check_cert_flags(
    flags: Flags, cert_flag: str, key_flag: str | None = None, ca_flag: str | None = None
) -> None:
    """If ``--cert_flag`` is set: the cert loads, its key (``--key_flag``) matches it, and it
    chains to the CA of ``--ca_flag`` (when given and set). Exits 1 naming the flag otherwise.
    """
    if not flags.get(cert_flag):
        return
    cert = require_file(cert_flag, flags[cert_flag]).read_bytes()
    ca = (
        require_file(ca_flag, flags[ca_flag]).read_bytes() if ca_flag and ca_flag in flags else None
    )
    if ca is not None and (problem := cert_problem(ca)) is not None:
        fail(f"--{ca_flag} {flags[ca_flag or '']}: {problem}")
    if (problem := cert_problem(cert, ca)) is not None:
        fail(f"--{cert_flag} {flags[cert_flag]}: {problem} (--{ca_flag})")
    if key_flag is not None:
        if not flags.get(key_flag):
            fail(f"--{cert_flag} is set but --{key_flag} is not")
        key = require_file(key_flag, flags[key_flag]).read_bytes()
        if (problem := key_problem(key, cert)) is not None:
            fail(f"--{key_flag} {flags[key_flag]}: {problem}")


def check_ca_flags(flags: Flags, *names: str) -> None:
    """Each CA file named by one of ``names`` (when set) exists and loads."""
    for name in names:
        if flags.get(name):
            data = require_file(name, flags[name]).read_bytes()
            if (problem := cert_problem(data)) is not None:
                fail(f"--{name} {flags[name]}: {problem}")


def cert_subject(cert_der: bytes) -> tuple[str, list[str]]:
    """(CN, [O...]) of a DER certificate (the user and groups the apiserver sees)."""
    done = _openssl(
        ["x509", "-inform", "DER", "-noout", "-subject", "-nameopt", "RFC2253"], cert_der
    )
    text = done.stdout.decode(errors="replace").strip().removeprefix("subject=")
    user, groups = "", []
    for part in re.split(r"(?<!\\),", text):
        key, _, value = part.strip().partition("=")
        if key == "CN":
            user = value
        elif key == "O":
            groups.append(value)
    return user, groups


def self_signed_cert(directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed serving cert + key in ``directory`` (what components without certs use)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    if not (cert.is_file() and key.is_file()):
        subject = f"/CN=localhost@{int(time.time())}"
        done = _openssl(
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "365", "-subj", subject, "-addext",
             "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", str(key), "-out", str(cert)]
        )  # fmt: skip
        if done.returncode != 0:
            fail(f"cannot create a self-signed certificate: {done.stderr.decode()[-200:]}")
    return cert, key


# ---------------------------------------------------------------------------------------------
# Minimal YAML: block mappings and sequences, plain/quoted scalars, flow {} and [] of scalars,
# block literals (| and >), comments, several documents. Enough for kubeconfigs and the
# configuration files kubexm and kubeadm write; JSON (a YAML subset) is read by json.
# ---------------------------------------------------------------------------------------------


class YamlError(ValueError):
    """The text is not in the YAML subset this reader understands."""


def _strip_comment(line: str) -> str:
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _split_flow(text: str) -> list[str]:
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _flow(text: str) -> Any:
    if text.startswith("["):
        return [yaml_scalar(p) for p in _split_flow(text[1:-1])]
    out: dict[str, Any] = {}
    for part in _split_flow(text[1:-1]):
        key, _, value = part.partition(":")
        out[str(yaml_scalar(key))] = yaml_scalar(value)
    return out


def yaml_scalar(text: str) -> Any:
    """One YAML scalar or flow collection."""
    text = text.strip()
    if (text[:1], text[-1:]) in (("{", "}"), ("[", "]")):
        return _flow(text)
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return json.loads(text)
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?", text):
        return float(text)
    return text


def _key_value(text: str) -> tuple[str, str] | None:
    """``key: value`` split at the first ': ' outside quotes (or a trailing ':')."""
    quote = ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"" and i == 0:
            quote = ch
        elif ch == ":" and (i + 1 == len(text) or text[i + 1] == " "):
            return str(yaml_scalar(text[:i])), text[i + 1 :].strip()
    return None


class _YamlReader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = [(len(x) - len(x.lstrip(" ")), x.strip(), x) for x in lines]
        self.pos = 0

    def _skip_blank(self) -> None:
        while self.pos < len(self.lines) and not self.lines[self.pos][1]:
            self.pos += 1

    def node(self, indent: int) -> Any:
        self._skip_blank()
        if self.pos >= len(self.lines) or self.lines[self.pos][0] < indent:
            return None
        first_indent, text, _ = self.lines[self.pos]
        if text == "-" or text.startswith("- "):
            return self.sequence(first_indent)
        return self.mapping(first_indent)

    def _value(self, rest: str, indent: int) -> Any:
        if rest in ("|", "|-", "|+", ">", ">-", ">+"):
            return self.block_scalar(indent, rest)
        if rest:
            return yaml_scalar(rest)
        self._skip_blank()
        if self.pos < len(self.lines):
            child_indent, child, _ = self.lines[self.pos]
            if child_indent > indent or (child_indent == indent and child.startswith("- ")):
                return self.node(child_indent)
        return None

    def mapping(self, indent: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while True:
            self._skip_blank()
            if self.pos >= len(self.lines) or self.lines[self.pos][0] != indent:
                return out
            text = self.lines[self.pos][1]
            if text.startswith("- "):
                return out
            pair = _key_value(text)
            if pair is None:
                raise YamlError(f"line {self.pos + 1}: expected 'key: value', got {text!r}")
            self.pos += 1
            out[pair[0]] = self._value(pair[1], indent)

    def sequence(self, indent: int) -> list[Any]:
        out: list[Any] = []
        while True:
            self._skip_blank()
            if self.pos >= len(self.lines) or self.lines[self.pos][0] != indent:
                return out
            text = self.lines[self.pos][1]
            if not (text == "-" or text.startswith("- ")):
                return out
            rest = text[1:].strip()
            if rest and _key_value(rest) is not None and not rest.startswith(("{", "[", '"')):
                inner = indent + 2 + (len(text[1:]) - len(text[1:].lstrip(" ")) - 1)
                self.lines[self.pos] = (inner, rest, self.lines[self.pos][2])
                out.append(self.mapping(inner))
            else:
                self.pos += 1
                out.append(self._value(rest, indent))

    def block_scalar(self, indent: int, style: str) -> str:
        raw: list[str] = []
        while self.pos < len(self.lines):
            line_indent, text, original = self.lines[self.pos]
            if text and line_indent <= indent:
                break
            raw.append(original)
            self.pos += 1
        body_indent = min((len(x) - len(x.lstrip(" ")) for x in raw if x.strip()), default=0)
        body = [x[body_indent:] for x in raw]
        while body and not body[-1].strip():
            body.pop()
        joiner = "\n" if style.startswith("|") else " "
        text = joiner.join(body)
        return text if style.endswith("-") else text + "\n"


def load_yaml_documents(text: str) -> list[Any]:
    """Every document of ``text`` (``---`` separated); JSON text is read as JSON."""
    if text.lstrip().startswith(("{", "[")):
        try:
            return [json.loads(text)]
        except json.JSONDecodeError:
            pass
    docs: list[Any] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.rstrip() in ("---", "..."):
            docs.append(current)
            current = []
        elif not line.startswith("%"):
            current.append(line if line.lstrip().startswith(("|", ">")) else _strip_comment(line))
    docs.append(current)
    out = []
    for lines in docs:
        if any(x.strip() for x in lines):
            if "\t" in "".join(x[: len(x) - len(x.lstrip())] for x in lines):
                raise YamlError("tabs are not allowed in YAML indentation")
            out.append(_YamlReader(lines).node(0))
    return out


def load_yaml(text: str) -> Any:
    """The single document of ``text`` (None when empty)."""
    docs = load_yaml_documents(text)
    if len(docs) > 1:
        raise YamlError(f"expected one YAML document, found {len(docs)}")
    return docs[0] if docs else None


def read_config_file(flag: str, path: str) -> dict[str, Any]:
    """The YAML/JSON object in the file named by ``--flag``; exits 1 when missing or invalid."""
    file = require_file(flag, path)
    try:
        data = load_yaml(file.read_text(encoding="utf-8"))
    except (YamlError, ValueError, UnicodeDecodeError) as exc:
        fail(f"--{flag} {path}: cannot parse: {exc}")
    if not isinstance(data, dict):
        fail(f"--{flag} {path}: expected a mapping at the top level")
    return data


# ---------------------------------------------------------------------------------------------
# Kubeconfig: parse, pick the current context, check the client cert chains to the CA.
# ---------------------------------------------------------------------------------------------


class Kubeconfig:
    """The current context of a kubeconfig: server URL and PEM credentials."""

    def __init__(self, server: str, ca: bytes, cert: bytes | None, key: bytes | None) -> None:
        self.server = server.rstrip("/")
        self.ca = ca
        self.cert = cert
        self.key = key


def _named(items: Any, name: str, kind: str, path: str) -> dict[str, Any]:
    for item in items or []:
        if isinstance(item, dict) and item.get("name") == name and isinstance(item.get(kind), dict):
            return dict(item[kind])
    fail(f"kubeconfig {path}: no {kind} named {name!r}")


def _pem(entry: dict[str, Any], field: str, base: Path, what: str) -> bytes | None:
    if entry.get(f"{field}-data"):
        return base64.b64decode(str(entry[f"{field}-data"]))
    if entry.get(field):
        file = base / str(entry[field])
        if not file.is_file():
            fail(f"kubeconfig: {what} file {file} does not exist")
        return file.read_bytes()
    return None


def load_kubeconfig(flag: str, path: str) -> Kubeconfig:
    """Read the kubeconfig of ``--flag``: it parses, its current context resolves, its CA loads
    and its client certificate (if any) matches its key and chains to the CA. Exits 1 if not.
    """
    data = read_config_file(flag, path)
    if data.get("kind", "Config") != "Config":
        fail(f"--{flag} {path}: kind is {data.get('kind')!r}, not Config")
    context_name = data.get("current-context")
    if not context_name:
        fail(f"--{flag} {path}: no current-context")
    context = _named(data.get("contexts"), str(context_name), "context", path)
    cluster = _named(data.get("clusters"), str(context.get("cluster")), "cluster", path)
    user = _named(data.get("users"), str(context.get("user")), "user", path)
    base = Path(path).parent
    server = str(cluster.get("server") or "")
    if not server.startswith("https://"):
        fail(f"--{flag} {path}: cluster server {server!r} is not an https:// URL")
    ca = _pem(cluster, "certificate-authority", base, "certificate-authority")
    if ca is None:
        fail(f"--{flag} {path}: the cluster has no certificate-authority(-data)")
    if (problem := cert_problem(ca)) is not None:
        fail(f"--{flag} {path}: certificate-authority: {problem}")
    cert = _pem(user, "client-certificate", base, "client-certificate")
    key = _pem(user, "client-key", base, "client-key")
    if cert is not None:
        if (problem := cert_problem(cert, ca)) is not None:
            fail(f"--{flag} {path}: client-certificate {problem}")
        if key is None or (problem := key_problem(key, cert)) is not None:
            fail(f"--{flag} {path}: client-key: {problem or 'missing'}")
    return Kubeconfig(server, ca, cert, key)


# ---------------------------------------------------------------------------------------------
# HTTPS client with client certificates.
# ---------------------------------------------------------------------------------------------


def client_context(
    ca: bytes, cert: bytes | None = None, key: bytes | None = None
) -> ssl.SSLContext:
    """A TLS client context trusting PEM ``ca``, presenting ``cert``/``key`` when given."""
    context = ssl.create_default_context(cadata=ca.decode())
    if cert is not None and key is not None:
        with tempfile.TemporaryDirectory() as tmp:
            cert_file, key_file = Path(tmp, "c.pem"), Path(tmp, "k.pem")
            cert_file.write_bytes(cert)
            key_file.write_bytes(key)
            context.load_cert_chain(cert_file, key_file)
    return context


def https_request(
    url: str,
    context: ssl.SSLContext,
    method: str = "GET",
    body: Any = None,
    timeout: float = 5.0,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """(status, body) of one HTTPS request; ``body`` other than bytes is sent as JSON."""
    parts = urlsplit(url)
    conn = http.client.HTTPSConnection(
        parts.hostname or "", parts.port or 443, context=context, timeout=timeout
    )
    payload = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path or "/", body=payload, headers=sent)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_for_readyz(config: Kubeconfig, flag: str, timeout: float = 3600.0) -> None:
    """Retry ``GET <server>/readyz`` with the kubeconfig's credentials until it answers ok,
    logging failures like the real components do while the apiserver is not up yet.
    """
    context = client_context(config.ca, config.cert, config.key)
    deadline = time.monotonic() + timeout
    while True:
        try:
            status, body = https_request(f"{config.server}/readyz", context)
            if status == 200:
                log(f"apiserver {config.server} (from --{flag}) is ready")
                return
            problem = f"HTTP {status}: {body[:200]!r}"
        except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
            problem = str(exc)
        if time.monotonic() > deadline:
            fail(f"apiserver {config.server} not ready: {problem}")
        log(f"waiting for the apiserver {config.server}/readyz: {problem}", "W")
        time.sleep(2)


# ---------------------------------------------------------------------------------------------
# Servers.
# ---------------------------------------------------------------------------------------------


def listen_address(value: str, port: int) -> tuple[str, int]:
    """A bind address flag value (IP or ``ip:port``) as a (host, port) pair."""
    host, _, maybe_port = value.rpartition(":") if value.count(":") == 1 else ("", "", "")
    if host:
        return host, int(maybe_port)
    return value or "0.0.0.0", port


def serve(
    server: ThreadingHTTPServer, tls: ssl.SSLContext | None = None, name: str = ""
) -> threading.Thread:
    """Run ``server`` in a daemon thread, wrapping its socket with ``tls`` when given."""
    if tls is not None:  # handshake in the handler thread, so a slow client blocks nobody
        server.socket = tls.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return thread


class HealthHandler(BaseHTTPRequestHandler):
    """``/healthz``, ``/livez``, ``/readyz`` answering ``ok``; 404 elsewhere."""

    server_version = "standin"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        ok = path.rstrip("/") in ("/healthz", "/livez", "/readyz") or path.startswith("/healthz/")
        body = b"ok" if ok else b"404 page not found\n"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def bind_server(
    address: tuple[str, int], handler: type[BaseHTTPRequestHandler], what: str
) -> ThreadingHTTPServer:
    """A threading HTTP server bound to ``address``; exits 1 when the port is taken."""
    host = address[0]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    class Server(ThreadingHTTPServer):
        address_family = family
        daemon_threads = True

    try:
        return Server(address, handler)
    except OSError as exc:
        fail(f"failed to listen on {host}:{address[1]} for {what}: {exc}")


def serving_context(cert: Path, key: Path, client_ca: Path | None = None) -> ssl.SSLContext:
    """A TLS server context; with ``client_ca`` client certs are verified when presented."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    if client_ca is not None:
        context.load_verify_locations(cafile=str(client_ca))
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


def run_forever(stop_checks: Iterable[Callable[[], str | None]] = ()) -> int:
    """Sleep until a signal ends the process; a check returning a message exits 1 with it."""
    checks = list(stop_checks)
    while True:
        time.sleep(5)
        for check in checks:
            if (problem := check()) is not None:
                fail(problem)


# ---------------------------------------------------------------------------------------------
# What kube-controller-manager and kube-scheduler share: delegated authentication, a
# kubeconfig to the apiserver, and HTTPS health on their secure port.
# ---------------------------------------------------------------------------------------------


def check_delegated_auth(flags: Flags) -> None:
    """--authentication-kubeconfig / --authorization-kubeconfig parse and their client certs
    chain; the CA files load; the serving cert (if given) matches its key.
    """
    for name in ("authentication-kubeconfig", "authorization-kubeconfig"):
        if flags.get(name):
            load_kubeconfig(name, flags[name])
    check_ca_flags(flags, "client-ca-file", "requestheader-client-ca-file")
    check_cert_flags(flags, "tls-cert-file", "tls-private-key-file")


def serve_secure_health(flags: Flags, default_port: int, name: str) -> None:
    """HTTPS ``/healthz`` on --bind-address:--secure-port with --tls-cert-file, or with a
    self-signed certificate in --cert-dir (a temporary folder when unset) like the real ones.
    """
    if flags.get("tls-cert-file"):
        cert, key = Path(flags["tls-cert-file"]), Path(flags["tls-private-key-file"])
    else:
        folder = Path(flags.get("cert-dir") or tempfile.mkdtemp(prefix=f"{name}-"))
        cert, key = self_signed_cert(folder, name)
    port = int(flags.get("secure-port", str(default_port)))
    host = flags.get("bind-address") or "0.0.0.0"
    server = bind_server((host, port), HealthHandler, "the secure port")
    serve(server, serving_context(cert, key), "https")
    log(f"Serving securely on {host}:{port}")


def client_kubeconfig(flags: Flags, config_path: str | None = None) -> Kubeconfig:
    """The kubeconfig of --kubeconfig (or ``config_path`` from a configuration file); exits 1
    when there is none, as the real component does outside a pod.
    """
    if flags.get("kubeconfig"):
        return load_kubeconfig("kubeconfig", flags["kubeconfig"])
    if config_path:
        return load_kubeconfig("config", config_path)
    fail("invalid configuration: no configuration has been provided, try setting --kubeconfig")


class ApiClient:
    """JSON requests to the apiserver with a kubeconfig's credentials."""

    def __init__(self, config: Kubeconfig) -> None:
        self.server = config.server
        self.context = client_context(config.ca, config.cert, config.key)

    def call(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        """(status, decoded JSON body) of one request; raises OSError when unreachable."""
        try:
            status, data = https_request(
                self.server + path,
                self.context,
                method,
                body,
                headers={"Content-Type": content_type},
            )
        except (ssl.SSLError, http.client.HTTPException) as exc:
            raise OSError(str(exc)) from exc
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, data.decode(errors="replace")
