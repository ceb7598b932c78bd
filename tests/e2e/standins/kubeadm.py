"""kubeadm stand-in: init / join / token / reset / certs / config validate, checked like kubeadm.

See README.md (section "kubelet and kubeadm"). Host paths are kubeadm's; ``KUBEXM_STANDIN_ROOT``
(tests only) puts /etc/kubernetes, /var/lib/kubelet and /var/lib/etcd under another root.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    Kubeconfig,
    YamlError,
    client_context,
    https_request,
    load_kubeconfig,
    load_yaml_documents,
)

# --------------------------------------------------------------------------- paths and output

KUBEADM_GROUP = "kubeadm.k8s.io"
TOKEN_RE = re.compile(r"^([a-z0-9]{6})\.([a-z0-9]{16})$")
CERT_KEY_RE = re.compile(r"^[0-9a-f]{64}$")
ADMIN_GROUP = "kubeadm:cluster-admins"
CERTS_SECRET = "kubeadm-certs"
DEFAULT_TTL = "24h0m0s"
HEALTH_TIMEOUT = 240.0
TLS_BOOTSTRAP_TIMEOUT = 300.0


class KubeadmError(Exception):
    """A check failed: kubeadm prints ``error execution phase ...`` and exits 1."""


def host_path(path: str) -> Path:
    """``path`` on this host, under ``KUBEXM_STANDIN_ROOT`` when tests set it."""
    root = os.environ.get("KUBEXM_STANDIN_ROOT", "")
    return Path(root + path) if root else Path(path)


def say(line: str) -> None:
    print(line, flush=True)


def warn(line: str) -> None:
    print(f"W{time.strftime('%m%d %H:%M:%S')} {line}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- flags


@dataclass
class CmdFlags:
    """Parsed command line of one kubeadm command."""

    words: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)


# flag -> True for a boolean flag; one table per command (flags of kubeadm 1.33 .. 1.36)
KUBEADM_GLOBAL_FLAGS = {"--kubeconfig": False, "--rootfs": False, "-v": False, "--v": False}
COMMAND_FLAGS: dict[str, dict[str, bool]] = {
    "version": {"-o": False, "--output": False},
    "init": {
        "--config": False, "--upload-certs": True, "--skip-phases": False,
        "--ignore-preflight-errors": False, "--certificate-key": False, "--dry-run": True,
        "--skip-token-print": True, "--skip-certificate-key-print": True,
        "--patches": False, "--node-name": False,
    },
    "init phase upload-certs": {
        "--config": False, "--upload-certs": True, "--certificate-key": False,
        "--skip-certificate-key-print": True,
    },
    "join": {
        "--config": False, "--token": False, "--discovery-token": False,
        "--discovery-token-ca-cert-hash": False,
        "--discovery-token-unsafe-skip-ca-verification": True,
        "--control-plane": True, "--certificate-key": False, "--apiserver-advertise-address": False,
        "--node-name": False, "--cri-socket": False, "--ignore-preflight-errors": False,
        "--skip-phases": False, "--dry-run": True, "--patches": False,
        "--tls-bootstrap-token": False,
    },
    "token create": {
        "--ttl": False, "--print-join-command": True, "--description": False, "--usages": False,
        "--groups": False, "--config": False, "--certificate-key": False, "--dry-run": True,
    },
    "token delete": {"--dry-run": True},
    "token list": {"-o": False, "--output": False, "--allow-missing-template-keys": True},
    "token generate": {},
    "reset": {
        "-f": True, "--force": True, "--cert-dir": False, "--cri-socket": False,
        "--ignore-preflight-errors": False, "--skip-phases": False, "--dry-run": True,
        "--cleanup-tmp-dir": True, "--config": False,
    },
    "certs certificate-key": {},
    "config validate": {"--config": False, "--allow-experimental-api": True},
}  # fmt: skip
# the init phases after the control plane is up: sub-phases ("" = none) and flags
INIT_PHASES: dict[str, tuple[str, ...]] = {
    "upload-config": ("all", "kubeadm", "kubelet"),
    "mark-control-plane": ("",),
    "bootstrap-token": ("",),
    "kubelet-finalize": ("all", "enable-client-cert-rotation"),
    "addon": ("all", "coredns", "kube-proxy"),
}
ADDON_CLI_FLAGS = {
    "--apiserver-advertise-address": False, "--apiserver-bind-port": False,
    "--control-plane-endpoint": False, "--feature-gates": False, "--image-repository": False,
    "--kubernetes-version": False, "--pod-network-cidr": False, "--service-cidr": False,
    "--service-dns-domain": False,
}  # fmt: skip
INIT_PHASE_FLAGS: dict[str, dict[str, bool]] = {
    "upload-config": {"--config": False, "--cri-socket": False, "--dry-run": True},
    "mark-control-plane": {"--config": False, "--dry-run": True, "--node-name": False},
    "bootstrap-token": {"--config": False, "--dry-run": True, "--skip-token-print": True},
    "kubelet-finalize": {"--cert-dir": False, "--config": False, "--dry-run": True},
    "addon": {"--config": False, "--dry-run": True, **ADDON_CLI_FLAGS},
}
for _phase, _subs in INIT_PHASES.items():
    for _sub in _subs:
        _extra = {"--print-manifest": True} if _phase == "addon" and _sub != "all" else {}
        COMMAND_FLAGS[f"init phase {_phase} {_sub}".strip()] = {
            **INIT_PHASE_FLAGS[_phase],
            **_extra,
        }
COMMANDS = sorted(COMMAND_FLAGS, key=lambda c: -len(c.split()))
LIST_FLAGS = ("--skip-phases", "--ignore-preflight-errors", "--usages", "--groups")


def split_command(argv: list[str]) -> tuple[str, list[str]]:
    """(``"token create"``, rest) — the longest known command the leading words name."""
    words = [a for a in argv[:4] if not a.startswith("-")]
    for command in COMMANDS:
        parts = command.split()
        if words[:2] == ["init", "phase"] and len(parts) < 3:
            break
        if words[: len(parts)] == parts:
            rest = list(argv)
            for part in parts:
                rest.remove(part)
            return command, rest
    if not words and argv:
        raise KubeadmError(f"unknown flag: {argv[0].split('=')[0]}")
    raise KubeadmError(f'unknown command "{" ".join(words)}" for "kubeadm"')


def parse_command_flags(command: str, argv: list[str]) -> CmdFlags:
    """pflag-like parsing of ``argv`` for ``command``; unknown flags fail like kubeadm."""
    known = {**KUBEADM_GLOBAL_FLAGS, **COMMAND_FLAGS[command]}
    flags = CmdFlags()
    args = iter(argv)
    for arg in args:
        if not arg.startswith("-"):
            flags.words.append(arg)
            continue
        name, eq, value = arg.partition("=")
        if name not in known:
            raise KubeadmError(f"unknown flag: {name}")
        if known[name]:
            value = value if eq else "true"
        elif not eq:
            value = next(args, None) or ""
            if not value:
                raise KubeadmError(f"flag needs an argument: {name}")
        if name in LIST_FLAGS:
            flags.lists.setdefault(name, []).extend(v for v in value.split(",") if v)
        else:
            flags.values[name] = value
    return flags


# --------------------------------------------------------------------------- versions


def kubeadm_minor(version: str) -> tuple[int, int]:
    match = re.match(r"v?(\d+)\.(\d+)", version)
    if not match:
        raise KubeadmError(f'couldn\'t parse version "{version}"')
    return int(match.group(1)), int(match.group(2))


def version_info(version: str) -> dict[str, str]:
    major, minor = kubeadm_minor(version)
    return {
        "major": str(major), "minor": str(minor), "gitVersion": version,
        "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24.0", "compiler": "gc",
        "platform": "linux/amd64",
    }  # fmt: skip


def cmd_version(flags: CmdFlags, version: str) -> int:
    """``kubeadm version [-o short|json|yaml]``."""
    output = flags.values.get("-o") or flags.values.get("--output", "")
    info = version_info(version)
    if output == "short":
        say(version)
    elif output == "json":
        say(json.dumps({"clientVersion": info}, indent=2))
    elif output == "yaml":
        say("clientVersion:\n" + "".join(f"  {k}: {v!r}\n" for k, v in info.items()).rstrip())
    elif output:
        raise KubeadmError(f'invalid output format: "{output}"')
    else:
        fields = ", ".join(f'{k[0].upper()}{k[1:]}:"{v}"' for k, v in info.items())
        say(f"kubeadm version: &version.Info{{{fields}}}")
    return 0


# --------------------------------------------------------------------------- configuration

KNOWN_KINDS = {
    f"{KUBEADM_GROUP}/v1beta4": {
        "InitConfiguration", "ClusterConfiguration", "JoinConfiguration", "ResetConfiguration",
        "UpgradeConfiguration",
    },
    f"{KUBEADM_GROUP}/v1beta3": {"InitConfiguration", "ClusterConfiguration", "JoinConfiguration"},
    "kubelet.config.k8s.io/v1beta1": {"KubeletConfiguration"},
    "kubeproxy.config.k8s.io/v1alpha1": {"KubeProxyConfiguration"},
}  # fmt: skip


@dataclass
class Config:
    """The documents of one kubeadm ``--config`` file, by kind."""

    api_version: str
    docs: dict[str, dict[str, Any]]
    texts: dict[str, str]

    def get(self, kind: str) -> dict[str, Any]:
        return self.docs.get(kind, {})


def split_documents(text: str) -> list[str]:
    parts = re.split(r"^---[ \t]*$", text, flags=re.MULTILINE)
    return [p.strip("\n") + "\n" for p in parts if p.strip() and not _only_comments(p)]


def _only_comments(part: str) -> bool:
    return all(not ln.strip() or ln.lstrip().startswith("#") for ln in part.splitlines())


def load_config(path: str, version: str) -> Config:
    """Read ``--config``: known kinds only, one kubeadm API version, v1beta4 from 1.31 on."""
    file = Path(path)
    if not file.is_file():
        raise KubeadmError(f"unable to read config from {path!r}: open {path}: no such file")
    texts: dict[str, str] = {}
    docs: dict[str, dict[str, Any]] = {}
    kubeadm_versions: set[str] = set()
    for text in split_documents(file.read_text(encoding="utf-8")):
        doc = (load_yaml_documents(text) or [{}])[0]
        if not isinstance(doc, dict):
            raise KubeadmError(f"{path}: a document is not a mapping")
        api, kind = str(doc.get("apiVersion", "")), str(doc.get("kind", ""))
        if not api or not kind:
            raise KubeadmError(f"{path}: Object 'Kind' is missing in '{text.strip()[:60]}'")
        _check_kind(api, kind)
        if kind in docs:
            raise KubeadmError(f"{path}: invalid configuration: kind {kind} appears twice")
        if api.startswith(KUBEADM_GROUP + "/"):
            kubeadm_versions.add(api)
        docs[kind], texts[kind] = doc, text
    return Config(_pick_api(kubeadm_versions, version, path), docs, texts)


def _check_kind(api: str, kind: str) -> None:
    if api in KNOWN_KINDS:
        if kind not in KNOWN_KINDS[api]:
            raise KubeadmError(f'no kind "{kind}" is registered for version "{api}"')
        return
    if api.startswith(KUBEADM_GROUP + "/"):
        raise KubeadmError(
            f'your configuration file uses an old API spec: "{api}"; please use kubeadm '
            f"{KUBEADM_GROUP}/v1beta4 (or v1beta3 where still supported)"
        )
    warn(f"[config] WARNING: Ignored configuration document with GroupVersionKind {api}, {kind}")


def _pick_api(apis: set[str], version: str, path: str) -> str:
    if len(apis) > 1:
        raise KubeadmError(f"{path}: documents mix kubeadm API versions {sorted(apis)}")
    if not apis:
        return f"{KUBEADM_GROUP}/v1beta4"
    api = apis.pop()
    if api.endswith("/v1beta3") and kubeadm_minor(version) >= (1, 36):
        # kubernetes/kubernetes#136016: v1beta3 (deprecated in 1.31) is gone from 1.36 on
        raise KubeadmError(
            f'{path}: no kind "InitConfiguration" is registered for version "{api}": the '
            f'v1beta3 API was removed in kubeadm 1.36; use "{KUBEADM_GROUP}/v1beta4"'
        )
    if api.endswith("/v1beta3") and kubeadm_minor(version) >= (1, 31):
        warn(
            f'[config] WARNING: The "{api}" API is deprecated and will be removed in a future '
            f'release. Please use "kubeadm config migrate" to migrate to "{KUBEADM_GROUP}/v1beta4"'
        )
    return api


def extra_args(section: dict[str, Any], api: str, where: str) -> dict[str, str]:
    """``extraArgs`` of one component: a list of {name, value} in v1beta4, a map in v1beta3."""
    raw = section.get("extraArgs")
    if raw in (None, {}, []):
        return {}
    if api.endswith("/v1beta4"):
        if not isinstance(raw, list) or not all(isinstance(a, dict) and "name" in a for a in raw):
            raise KubeadmError(
                f"{where}.extraArgs: strict decoding error: cannot unmarshal object into "
                "Go value of type []v1beta4.Arg (v1beta4 wants a list of {name, value})"
            )
        return {str(a["name"]): str(a.get("value", "")) for a in raw}
    if not isinstance(raw, dict):
        raise KubeadmError(f"{where}.extraArgs: v1beta3 wants a map of flag name to value")
    return {str(k): str(v) for k, v in raw.items()}


def check_cluster_configuration(config: Config, version: str) -> None:
    """What kubeadm validates in ClusterConfiguration (and the stand-in's required fields)."""
    cluster = config.get("ClusterConfiguration")
    wanted = cluster.get("kubernetesVersion", "")
    if not wanted:
        raise KubeadmError("ClusterConfiguration.kubernetesVersion: Required value")
    if kubeadm_minor(str(wanted)) > kubeadm_minor(version) or _newer_patch(str(wanted), version):
        raise KubeadmError(
            f'the kubernetesVersion "{wanted}" is higher than the kubeadm version "{version}"'
        )
    if kubeadm_minor(str(wanted)) < (kubeadm_minor(version)[0], kubeadm_minor(version)[1] - 1):
        raise KubeadmError(
            f"this version of kubeadm only supports deploying clusters with the control plane "
            f"version >= v{kubeadm_minor(version)[0]}.{kubeadm_minor(version)[1] - 1}.0. "
            f"Current version: {wanted}"
        )
    endpoint = str(cluster.get("controlPlaneEndpoint", ""))
    if not endpoint:
        raise KubeadmError(
            "ClusterConfiguration.controlPlaneEndpoint: Required value (kubexm always sets one;"
            " without it no control-plane node can join)"
        )
    split_host_port(endpoint, "controlPlaneEndpoint")
    for section in ("apiServer", "controllerManager", "scheduler"):
        extra_args(cluster.get(section) or {}, config.api_version, section)
    _check_networking(cluster.get("networking") or {})


def _newer_patch(wanted: str, version: str) -> bool:
    def triple(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", v.split("-")[0])[:3])

    return triple(wanted) > triple(version)


def _check_networking(networking: dict[str, Any]) -> None:
    for key in ("podSubnet", "serviceSubnet"):
        for cidr in str(networking.get(key, "") or "").split(","):
            if not cidr:
                continue
            try:
                ipaddress.ip_network(cidr.strip(), strict=True)
            except ValueError as exc:
                raise KubeadmError(f"networking.{key}: Invalid value: {cidr!r}: {exc}") from exc


def split_host_port(endpoint: str, what: str) -> tuple[str, int]:
    host, _, port = endpoint.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise KubeadmError(f"{what}: Invalid value: {endpoint!r}: must be <host>:<port>")
    return host.strip("[]"), int(port)


# --------------------------------------------------------------------------- PKI (openssl)


def openssl(*args: str, data: bytes | None = None) -> bytes:
    done = subprocess.run(["openssl", *args], input=data, capture_output=True, check=False)
    if done.returncode != 0:
        raise KubeadmError(f"openssl {args[0]} failed: {done.stderr.decode().strip()[:300]}")
    return done.stdout


def spki_hash(cert_pem: bytes) -> str:
    """``sha256:<hex>`` of the certificate's SubjectPublicKeyInfo (kubeadm's CA pin)."""
    pub = openssl("x509", "-noout", "-pubkey", data=cert_pem).decode()
    body = "".join(ln for ln in pub.splitlines() if ln and not ln.startswith("-----"))
    return "sha256:" + hashlib.sha256(base64.b64decode(body)).hexdigest()


def signed_by(cert: Path, ca: Path) -> bool:
    done = subprocess.run(
        ["openssl", "verify", "-CAfile", str(ca), str(cert)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@dataclass(frozen=True)
class CertSpec:
    """One certificate kubeadm makes: file stem under the cert dir, subject, usage, SANs."""

    stem: str
    cn: str
    orgs: tuple[str, ...] = ()
    server: bool = False
    client: bool = True
    sans: tuple[str, ...] = ()
    ca: str = "ca"


def issue_cert(spec: CertSpec, pki: Path, days: int = 365) -> tuple[bytes, bytes]:
    """A new RSA-2048 key and a certificate for ``spec`` signed by ``pki/<spec.ca>``."""
    subject = "".join(f"/O={o}" for o in spec.orgs) + f"/CN={spec.cn}"
    usages = ",".join(
        u for u, on in (("serverAuth", spec.server), ("clientAuth", spec.client)) if on
    )
    ext = ["keyUsage=critical,digitalSignature,keyEncipherment", f"extendedKeyUsage={usages}"]
    ext.append("basicConstraints=critical,CA:FALSE")
    if spec.sans:
        alt = [f"IP:{s}" if _is_ip(s) else f"DNS:{s}" for s in spec.sans]
        ext.append("subjectAltName=" + ",".join(dict.fromkeys(alt)))
    with tempfile.TemporaryDirectory(prefix="kubeadm-") as tmp:
        key, csr, extfile = Path(tmp, "k"), Path(tmp, "c"), Path(tmp, "e")
        extfile.write_text("\n".join(ext) + "\n", encoding="utf-8")
        openssl("genrsa", "-out", str(key), "2048")
        openssl("req", "-new", "-key", str(key), "-subj", subject, "-out", str(csr))
        cert = openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(pki / f"{spec.ca}.crt"),
            "-CAkey", str(pki / f"{spec.ca}.key"), "-set_serial", str(secrets.randbits(63)),
            "-days", str(days), "-sha256", "-extfile", str(extfile),
        )  # fmt: skip
        return key.read_bytes(), cert


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def write_secret_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.chmod(mode)
    tmp.replace(path)


def ensure_ca(pki: Path, stem: str, cn: str, required: bool) -> None:
    """A CA kubeadm reuses (crt + key present) or, when allowed, creates."""
    crt, key = pki / f"{stem}.crt", pki / f"{stem}.key"
    if crt.is_file() and key.is_file():
        say(f"[certs] Using existing {stem} certificate authority")
        return
    if crt.is_file():
        raise KubeadmError(
            f"failure loading {stem} certificate authority: couldn't load the private key "
            f"file {key}: open {key}: no such file or directory (external CA mode is not "
            "supported by the stand-in)"
        )
    if required:
        raise KubeadmError(f"{crt}: the certificate authority is missing")
    say(f"[certs] Generating {stem} certificate and key")
    key_pem = openssl("genrsa", "2048")
    cert = openssl(
        "req", "-x509", "-new", "-key", "/dev/stdin", "-subj", f"/CN={cn}", "-days", "3650",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
        data=key_pem,
    )  # fmt: skip
    write_secret_file(key, key_pem)
    write_secret_file(crt, cert, 0o644)


def ensure_leaf(spec: CertSpec, pki: Path) -> None:
    """Reuse ``<stem>.crt`` when it is signed by its CA (else fail); create it when absent."""
    crt, key = pki / f"{spec.stem}.crt", pki / f"{spec.stem}.key"
    ca = pki / f"{spec.ca}.crt"
    if crt.is_file():
        if not key.is_file():
            raise KubeadmError(f"[certs] {crt} exists but its key {key} does not")
        if not signed_by(crt, ca):
            raise KubeadmError(
                f"[certs] certificate {spec.stem} is not signed by corresponding CA {ca}: "
                "x509: certificate signed by unknown authority"
            )
        say(f"[certs] Using existing {spec.stem} certificate and key on disk")
        return
    if not (pki / f"{spec.ca}.key").is_file():
        raise KubeadmError(f"[certs] {crt} is missing and there is no {spec.ca}.key to sign it")
    say(f"[certs] Generating {spec.stem} certificate and key")
    key_pem, cert = issue_cert(spec, pki)
    write_secret_file(key, key_pem)
    write_secret_file(crt, cert, 0o644)


def ensure_sa_keys(pki: Path) -> None:
    key, pub = pki / "sa.key", pki / "sa.pub"
    if key.is_file() and pub.is_file():
        say('[certs] Using the existing "sa" key')
        return
    say('[certs] Generating "sa" key and public key')
    key_pem = openssl("genrsa", "2048")
    write_secret_file(key, key_pem)
    write_secret_file(pub, openssl("rsa", "-pubout", data=key_pem), 0o644)


# --------------------------------------------------------------------------- kubeconfigs


def kubeconfig_text(server: str, ca_pem: bytes, user: str, creds: dict[str, str]) -> str:
    """A kubeconfig in kubeadm's layout (cluster ``kubernetes``, context ``<user>@kubernetes``)."""
    lines = [
        "apiVersion: v1",
        "clusters:",
        "- cluster:",
        f"    certificate-authority-data: {base64.b64encode(ca_pem).decode()}",
        f"    server: {server}",
        "  name: kubernetes",
        "contexts:",
        "- context:",
        "    cluster: kubernetes",
        f"    user: {user}",
        f"  name: {user}@kubernetes",
        f"current-context: {user}@kubernetes",
        "kind: Config",
        "preferences: {}",
        "users:",
        f"- name: {user}",
        "  user:",
    ]
    lines += [f"    {k}: {v}" for k, v in creds.items()]
    return "\n".join(lines) + "\n"


def cert_creds(key_pem: bytes, cert_pem: bytes) -> dict[str, str]:
    return {
        "client-certificate-data": base64.b64encode(cert_pem).decode(),
        "client-key-data": base64.b64encode(key_pem).decode(),
    }


def ensure_kubeconfig(name: str, server: str, pki: Path, user: str, orgs: tuple[str, ...]) -> None:
    """Reuse ``/etc/kubernetes/<name>`` when its CA and server are right; create it when absent."""
    path = host_path(f"/etc/kubernetes/{name}")
    ca_pem = (pki / "ca.crt").read_bytes()
    if path.is_file():
        loaded = load_kubeconfig("kubeconfig", str(path))
        if _pem_body(loaded.ca) != _pem_body(ca_pem):
            raise KubeadmError(
                f"a kubeconfig file {str(path)!r} exists already but has got the wrong CA cert"
            )
        if loaded.server.rstrip("/") != server.rstrip("/"):
            warn(
                f"a kubeconfig file {str(path)!r} exists already but has an unexpected API "
                f"Server URL: expected: {server}, got: {loaded.server}"
            )
        say(f'[kubeconfig] Using existing kubeconfig file: "{path}"')
        return
    say(f'[kubeconfig] Writing "{name}" kubeconfig file')
    key_pem, cert_pem = issue_cert(CertSpec("client", user, orgs), pki)
    text = kubeconfig_text(server, ca_pem, user, cert_creds(key_pem, cert_pem))
    write_secret_file(path, text.encode())


def _pem_body(pem: bytes) -> str:
    return "".join(ln for ln in pem.decode().split() if not ln.startswith("-----"))


# --------------------------------------------------------------------------- YAML out


def yaml_text(value: Any, indent: int = 0) -> str:
    """Block YAML of plain data (what kubeadm writes to disk and into ConfigMaps)."""
    return "\n".join(_yaml_lines(value, indent)) + "\n"


def _yaml_scalar_out(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    plain = re.fullmatch(r"[A-Za-z0-9_./=@+-][A-Za-z0-9_./=@+:, -]*", text) is not None
    special = text in ("true", "false", "null", "yes", "no", "on", "off", "~") or _numeric(text)
    if plain and not special and not text.endswith((" ", ":")) and ": " not in text:
        return text
    return json.dumps(text)


def _numeric(text: str) -> bool:
    return re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text) is not None


def _yaml_lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        out: list[str] = []
        for key, item in value.items():
            out += _yaml_entry(f"{pad}{_yaml_scalar_out(key)}:", item, indent, False)
        return out
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        out = []
        for item in value:
            out += _yaml_entry(f"{pad}-", item, indent, True)
        return out
    return [pad + _yaml_scalar_out(value)]


def _yaml_entry(head: str, item: Any, indent: int, in_list: bool) -> list[str]:
    if isinstance(item, dict | list) and item:
        child = _yaml_lines(item, indent + 2)
        if in_list and isinstance(item, dict):
            return [head + " " + child[0].lstrip(), *child[1:]]
        if isinstance(item, list) and not in_list:
            return [head, *_yaml_lines(item, indent)]
        return [head, *child]
    return [head + " " + _yaml_lines(item, 0)[0]]


# --------------------------------------------------------------------------- API client


@dataclass
class Api:
    """The apiserver as one identity: a client certificate (kubeconfig) or a bearer token."""

    server: str
    context: ssl.SSLContext
    token: str = ""

    def call(self, method: str, path: str, body: Any = None, ctype: str = "") -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if ctype:
            headers["Content-Type"] = ctype
        status, data = self._send(method, path, body, headers)
        try:
            return status, json.loads(data) if data else {}
        except ValueError:
            return status, {"message": data.decode(errors="replace")[:200]}

    def _send(
        self, method: str, path: str, body: Any, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        """One request, retried for up to 60 s while the connection fails (a load balancer
        in front of an apiserver that is still starting closes connections), as kubeadm's
        API client retries with backoff."""
        deadline = time.monotonic() + 60.0
        while True:
            try:
                return https_request(
                    self.server + path, self.context, method, body, timeout=10.0, headers=headers
                )
            except (OSError, ssl.SSLError, http.client.HTTPException):
                if time.monotonic() >= deadline:
                    raise
                time.sleep(1.0)

    def must(self, method: str, path: str, body: Any = None, ctype: str = "") -> Any:
        status, data = self.call(method, path, body, ctype)
        if status >= 300:
            message = data.get("message", "") if isinstance(data, dict) else ""
            raise KubeadmError(f"{method} {path}: HTTP {status}: {message}")
        return data

    def get(self, path: str) -> Any | None:
        status, data = self.call("GET", path)
        if status == 404:
            return None
        if status >= 300:
            raise KubeadmError(f"GET {path}: HTTP {status}: {_message(data)}")
        return data

    def apply(self, collection: str, obj: dict[str, Any]) -> None:
        """Create ``obj`` in ``collection``, or replace the one that exists."""
        status, data = self.call("POST", collection, obj)
        if status == 409:
            path = f"{collection}/{obj['metadata']['name']}"
            current = self.get(path) or {}
            version = (current.get("metadata") or {}).get("resourceVersion")
            if version:
                obj = {**obj, "metadata": {**obj["metadata"], "resourceVersion": version}}
            self.must("PUT", path, obj)
        elif status >= 300:
            raise KubeadmError(f"POST {collection}: HTTP {status}: {_message(data)}")


def _message(data: Any) -> str:
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def api_from_kubeconfig(path: Path) -> Api:
    if not path.is_file():
        raise KubeadmError(f"couldn't read the kubeconfig {path}: no such file")
    config: Kubeconfig = load_kubeconfig("kubeconfig", str(path))
    return Api(config.server, client_context(config.ca, config.cert, config.key))


def wait_until(what: str, probe: Any, timeout: float, interval: float = 1.0) -> Any:
    """Call ``probe()`` until it returns something other than None; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            result = probe()
        except (OSError, ssl.SSLError, KubeadmError, ValueError) as exc:
            result, last = None, str(exc)
        if result is not None:
            return result
        time.sleep(interval)
    raise KubeadmError(f"timed out after {timeout:.0f}s waiting for {what}: {last or 'not yet'}")


def http_ok(url: str, context: ssl.SSLContext | None = None) -> bool | None:
    try:
        with urllib.request.urlopen(url, timeout=3, context=context) as response:
            return True if response.status == 200 else None
    except (urllib.error.URLError, OSError):
        return None


def insecure_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


# --------------------------------------------------------------------------- tokens


def parse_duration(text: str) -> float:
    """Go duration (``24h0m0s``, ``2h``, ``90s``; ``0`` = never) in seconds."""
    if text.strip() in ("0", "0s"):
        return 0.0
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        raise KubeadmError(f'invalid duration "{text}"')
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * scale[u] for n, u in parts)


def new_token() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    pick = "".join(secrets.choice(alphabet) for _ in range(22))
    return f"{pick[:6]}.{pick[6:]}"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def token_secret(
    token: str, ttl: float, usages: list[str], groups: list[str], desc: str
) -> dict[str, Any]:
    match = TOKEN_RE.match(token)
    if not match:
        raise KubeadmError(
            f'the bootstrap token "{token[:6]}..." was not of the form '
            '"^([a-z0-9]{6})\\.([a-z0-9]{16})$"'
        )
    data = {"token-id": match.group(1), "token-secret": match.group(2)}
    if ttl > 0:
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ttl)
        data["expiration"] = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    for usage in usages:
        data[f"usage-bootstrap-{usage}"] = "true"
    if groups:
        data["auth-extra-groups"] = ",".join(groups)
    if desc:
        data["description"] = desc
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "bootstrap.kubernetes.io/token",
        "metadata": {"name": f"bootstrap-token-{match.group(1)}", "namespace": "kube-system"},
        "data": {k: b64(v) for k, v in data.items()},
    }


DEFAULT_GROUPS = ["system:bootstrappers:kubeadm:default-node-token"]
DEFAULT_USAGES = ["signing", "authentication"]
SECRETS = "/api/v1/namespaces/kube-system/secrets"
CONFIGMAPS = "/api/v1/namespaces/kube-system/configmaps"
CLUSTER_INFO = "/api/v1/namespaces/kube-public/configmaps/cluster-info"


def store_token(
    api: Api, token: str, ttl: float, usages: list[str], groups: list[str], desc: str
) -> None:
    api.apply(SECRETS, token_secret(token, ttl, usages, groups, desc))
    sign_cluster_info(api)


def list_tokens(api: Api) -> list[dict[str, str]]:
    listed = api.must("GET", SECRETS)
    out = []
    for item in listed.get("items") or []:
        if item.get("type") == "bootstrap.kubernetes.io/token":
            data = {k: base64.b64decode(v).decode() for k, v in (item.get("data") or {}).items()}
            if not _expired(data.get("expiration", "")):
                out.append(data)
    return out


def _expired(stamp: str) -> bool:
    if not stamp:
        return False
    when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return when <= dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- cluster-info


def jws_detached(payload: str, token_id: str, token_secret_part: str) -> str:
    """The detached HS256 JWS kubeadm's bootstrap signer puts beside cluster-info."""
    header = _b64url(json.dumps({"alg": "HS256", "kid": token_id}, separators=(",", ":")).encode())
    signing_input = f"{header}.{_b64url(payload.encode())}".encode()
    mac = hmac.new(token_secret_part.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}..{_b64url(mac)}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def cluster_info_object(server: str, ca_pem: bytes) -> dict[str, Any]:
    text = "\n".join([
        "apiVersion: v1",
        "clusters:",
        "- cluster:",
        f"    certificate-authority-data: {base64.b64encode(ca_pem).decode()}",
        f"    server: {server}",
        '  name: ""',
        "contexts: null",
        'current-context: ""',
        "kind: Config",
        "preferences: {}",
        "users: null",
    ]) + "\n"  # fmt: skip
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cluster-info", "namespace": "kube-public"},
        "data": {"kubeconfig": text},
    }


def sign_cluster_info(api: Api) -> None:
    """Add a ``jws-kubeconfig-<id>`` signature per signing token (kube-controller-manager's
    bootstrapsigner controller, done here by kubeadm: see README)."""
    info = api.get(CLUSTER_INFO)
    if info is None:
        return
    data = {k: v for k, v in (info.get("data") or {}).items() if not k.startswith("jws-")}
    for token in list_tokens(api):
        if token.get("usage-bootstrap-signing") == "true":
            data[f"jws-kubeconfig-{token['token-id']}"] = jws_detached(
                data["kubeconfig"], token["token-id"], token["token-secret"]
            )
    api.must("PUT", CLUSTER_INFO, {**info, "data": data})


# --------------------------------------------------------------------------- upload-certs


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    return b"".join(
        hmac.new(key, nonce + i.to_bytes(8, "big"), hashlib.sha256).digest() for i in range(blocks)
    )[:length]


def seal(certificate_key: str, plain: bytes) -> str:
    """Encrypt + authenticate with the certificate key (HMAC-SHA256 counter stream and tag;
    real kubeadm uses AES-GCM, which the Python stdlib lacks: see README)."""
    key = bytes.fromhex(certificate_key)
    nonce = os.urandom(16)
    enc = hmac.new(key, b"encrypt", hashlib.sha256).digest()
    mac = hmac.new(key, b"authenticate", hashlib.sha256).digest()
    body = bytes(a ^ b for a, b in zip(plain, _keystream(enc, nonce, len(plain)), strict=True))
    tag = hmac.new(mac, nonce + body, hashlib.sha256).digest()
    return base64.b64encode(nonce + body + tag).decode()


def unseal(certificate_key: str, sealed: str) -> bytes:
    key = bytes.fromhex(certificate_key)
    raw = base64.b64decode(sealed)
    nonce, body, tag = raw[:16], raw[16:-32], raw[-32:]
    mac = hmac.new(key, b"authenticate", hashlib.sha256).digest()
    if not hmac.compare_digest(tag, hmac.new(mac, nonce + body, hashlib.sha256).digest()):
        raise KubeadmError(
            "error downloading certs: error decoding secret data with provided key: "
            "cipher: message authentication failed"
        )
    enc = hmac.new(key, b"encrypt", hashlib.sha256).digest()
    return bytes(a ^ b for a, b in zip(body, _keystream(enc, nonce, len(body)), strict=True))


def shared_cert_files(cluster: dict[str, Any], pki: Path) -> dict[str, Path]:
    """Secret key -> file of what control-plane nodes share (kubeadm's list)."""
    files = {
        name: pki / name
        for name in (
            "ca.crt",
            "ca.key",
            "front-proxy-ca.crt",
            "front-proxy-ca.key",
            "sa.key",
            "sa.pub",
        )
    }
    external = (cluster.get("etcd") or {}).get("external")
    if external:
        files["external-etcd-ca.crt"] = host_path(str(external.get("caFile", "")))
        files["external-etcd.crt"] = host_path(str(external.get("certFile", "")))
        files["external-etcd.key"] = host_path(str(external.get("keyFile", "")))
    else:
        files["etcd-ca.crt"] = pki / "etcd" / "ca.crt"
        files["etcd-ca.key"] = pki / "etcd" / "ca.key"
    return files


def upload_certs(api: Api, cluster: dict[str, Any], pki: Path, certificate_key: str) -> None:
    """Secret ``kube-system/kubeadm-certs`` with every shared file sealed by the key."""
    if not CERT_KEY_RE.match(certificate_key):
        raise KubeadmError("the certificate key must be 64 hex characters (32 bytes)")
    data = {}
    for name, path in shared_cert_files(cluster, pki).items():
        if not path.is_file():
            raise KubeadmError(f"error uploading certs: {path}: no such file or directory")
        data[name] = b64(seal(certificate_key, path.read_bytes()))
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": CERTS_SECRET,
            "namespace": "kube-system",
            "annotations": {"kubexm.io/standin-expires": expires.strftime("%Y-%m-%dT%H:%M:%SZ")},
        },
        "data": data,
    }
    api.apply(SECRETS, secret)
    say(
        f'[upload-certs] Storing the certificates in Secret "{CERTS_SECRET}" '
        'in the "kube-system" Namespace'
    )


def download_certs(api: Api, cluster: dict[str, Any], pki: Path, certificate_key: str) -> None:
    secret = api.get(f"{SECRETS}/{CERTS_SECRET}")
    if secret is None:
        raise KubeadmError(
            'error downloading certs: Secret "kubeadm-certs" was not found in the "kube-system" '
            "Namespace. This Secret might have expired. Please, run `kubeadm init phase "
            "upload-certs --upload-certs` on a control plane to generate a new one"
        )
    stamp = ((secret.get("metadata") or {}).get("annotations") or {}).get(
        "kubexm.io/standin-expires", ""
    )
    if _expired(stamp):
        raise KubeadmError('error downloading certs: Secret "kubeadm-certs" has expired')
    data = secret.get("data") or {}
    for name, path in shared_cert_files(cluster, pki).items():
        if name not in data:
            raise KubeadmError(f"error downloading certs: the Secret does not hold {name}")
        plain = unseal(certificate_key, base64.b64decode(data[name]).decode())
        write_secret_file(path, plain, 0o600 if name.endswith(".key") else 0o644)
    say("[download-certs] Downloaded the certificates from the Secret kubeadm-certs")


# --------------------------------------------------------------------------- static pods


def hp(path: str) -> str:
    """A host path as written into files (under ``KUBEXM_STANDIN_ROOT`` in tests)."""
    return str(host_path(path))


def local_etcd(cluster: dict[str, Any]) -> bool:
    return not (cluster.get("etcd") or {}).get("external")


def apiserver_command(node: Node) -> list[str]:
    cluster = node.cluster
    pki = str(node.pki)
    net = cluster.get("networking") or {}
    flags = {
        "advertise-address": node.advertise,
        "allow-privileged": "true",
        "authorization-mode": "Node,RBAC",
        "client-ca-file": f"{pki}/ca.crt",
        "enable-admission-plugins": "NodeRestriction",
        "enable-bootstrap-token-auth": "true",
        **_etcd_client_flags(cluster, pki, node.advertise),
        "kubelet-client-certificate": f"{pki}/apiserver-kubelet-client.crt",
        "kubelet-client-key": f"{pki}/apiserver-kubelet-client.key",
        "kubelet-preferred-address-types": "InternalIP,ExternalIP,Hostname",
        "proxy-client-cert-file": f"{pki}/front-proxy-client.crt",
        "proxy-client-key-file": f"{pki}/front-proxy-client.key",
        "requestheader-allowed-names": "front-proxy-client",
        "requestheader-client-ca-file": f"{pki}/front-proxy-ca.crt",
        "requestheader-extra-headers-prefix": "X-Remote-Extra-",
        "requestheader-group-headers": "X-Remote-Group",
        "requestheader-username-headers": "X-Remote-User",
        "secure-port": str(node.bind_port),
        "service-account-issuer": "https://kubernetes.default.svc."
        + str(net.get("dnsDomain", "cluster.local")),
        "service-account-key-file": f"{pki}/sa.pub",
        "service-account-signing-key-file": f"{pki}/sa.key",
        "service-cluster-ip-range": str(net.get("serviceSubnet", "10.96.0.0/12")),
        "tls-cert-file": f"{pki}/apiserver.crt",
        "tls-private-key-file": f"{pki}/apiserver.key",
    }
    flags.update(extra_args(cluster.get("apiServer") or {}, node.api, "apiServer"))
    return ["kube-apiserver", *(f"--{k}={v}" for k, v in sorted(flags.items()))]


def _etcd_client_flags(cluster: dict[str, Any], pki: str, advertise: str) -> dict[str, str]:
    external = (cluster.get("etcd") or {}).get("external")
    if external:
        return {
            "etcd-cafile": hp(str(external.get("caFile", ""))),
            "etcd-certfile": hp(str(external.get("certFile", ""))),
            "etcd-keyfile": hp(str(external.get("keyFile", ""))),
            "etcd-servers": ",".join(str(e) for e in external.get("endpoints") or []),
        }
    return {
        "etcd-cafile": f"{pki}/etcd/ca.crt",
        "etcd-certfile": f"{pki}/apiserver-etcd-client.crt",
        "etcd-keyfile": f"{pki}/apiserver-etcd-client.key",
        "etcd-servers": "https://127.0.0.1:2379",
    }


def controller_manager_command(node: Node) -> list[str]:
    cluster, pki = node.cluster, str(node.pki)
    net = cluster.get("networking") or {}
    conf = hp("/etc/kubernetes/controller-manager.conf")
    flags = {
        "authentication-kubeconfig": conf,
        "authorization-kubeconfig": conf,
        "bind-address": "127.0.0.1",
        "client-ca-file": f"{pki}/ca.crt",
        "cluster-name": str(cluster.get("clusterName", "kubernetes")),
        "cluster-signing-cert-file": f"{pki}/ca.crt",
        "cluster-signing-key-file": f"{pki}/ca.key",
        "controllers": "*,bootstrapsigner,tokencleaner",
        "kubeconfig": conf,
        "leader-elect": "true",
        "requestheader-client-ca-file": f"{pki}/front-proxy-ca.crt",
        "root-ca-file": f"{pki}/ca.crt",
        "service-account-private-key-file": f"{pki}/sa.key",
        "service-cluster-ip-range": str(net.get("serviceSubnet", "10.96.0.0/12")),
        "use-service-account-credentials": "true",
    }
    if net.get("podSubnet"):
        flags.update({"allocate-node-cidrs": "true", "cluster-cidr": str(net["podSubnet"])})
    flags.update(extra_args(cluster.get("controllerManager") or {}, node.api, "controllerManager"))
    return ["kube-controller-manager", *(f"--{k}={v}" for k, v in sorted(flags.items()))]


def scheduler_command(node: Node) -> list[str]:
    conf = hp("/etc/kubernetes/scheduler.conf")
    flags = {
        "authentication-kubeconfig": conf,
        "authorization-kubeconfig": conf,
        "bind-address": "127.0.0.1",
        "kubeconfig": conf,
        "leader-elect": "true",
    }
    flags.update(extra_args(node.cluster.get("scheduler") or {}, node.api, "scheduler"))
    return ["kube-scheduler", *(f"--{k}={v}" for k, v in sorted(flags.items()))]


def etcd_command(node: Node, initial_cluster: str, state: str) -> list[str]:
    pki, ip = f"{node.pki}/etcd", node.advertise
    flags = {
        "advertise-client-urls": f"https://{ip}:2379",
        "cert-file": f"{pki}/server.crt",
        "client-cert-auth": "true",
        "data-dir": hp(
            str(
                ((node.cluster.get("etcd") or {}).get("local") or {}).get(
                    "dataDir", "/var/lib/etcd"
                )
            )
        ),
        "initial-advertise-peer-urls": f"https://{ip}:2380",
        "initial-cluster": initial_cluster,
        "initial-cluster-state": state,
        "key-file": f"{pki}/server.key",
        "listen-client-urls": f"https://127.0.0.1:2379,https://{ip}:2379",
        "listen-metrics-urls": "http://127.0.0.1:2381",
        "listen-peer-urls": f"https://{ip}:2380",
        "name": node.name,
        "peer-cert-file": f"{pki}/peer.crt",
        "peer-client-cert-auth": "true",
        "peer-key-file": f"{pki}/peer.key",
        "peer-trusted-ca-file": f"{pki}/ca.crt",
        "snapshot-count": "10000",
        "trusted-ca-file": f"{pki}/ca.crt",
    }
    if state == "new":
        flags.pop("initial-cluster-state")
    flags.update(
        extra_args((node.cluster.get("etcd") or {}).get("local") or {}, node.api, "etcd.local")
    )
    return ["etcd", *(f"--{k}={v}" for k, v in sorted(flags.items()))]


def static_pod(name: str, command: list[str], image: str, mounts: list[str]) -> dict[str, Any]:
    """A Pod manifest in kubeadm's layout (probes and resources left out)."""
    volumes: list[dict[str, Any]] = [
        {"hostPath": {"path": path, "type": "DirectoryOrCreate"}, "name": f"vol-{i}"}
        for i, path in enumerate(mounts)
    ]
    container = {
        "command": command,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "name": name,
        "volumeMounts": [
            {"mountPath": path, "name": f"vol-{i}", "readOnly": True}
            for i, path in enumerate(mounts)
        ],
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "labels": {"component": name, "tier": "control-plane"},
            "name": name,
            "namespace": "kube-system",
        },
        "spec": {
            "containers": [container],
            "hostNetwork": True,
            "priority": 2000001000,
            "priorityClassName": "system-node-critical",
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "volumes": volumes,
        },
        "status": {},
    }


def write_manifest(name: str, pod: dict[str, Any]) -> None:
    path = host_path(f"/etc/kubernetes/manifests/{name}.yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_secret_file(path, yaml_text(pod).encode())
    say(f'[control-plane] Creating static Pod manifest for "{name}"')


def write_control_plane(node: Node) -> None:
    repo = str(node.cluster.get("imageRepository") or "registry.k8s.io")
    tag = str(node.cluster.get("kubernetesVersion"))
    pki, conf = str(node.pki), hp("/etc/kubernetes")
    builders = {
        "kube-apiserver": (apiserver_command, [pki, hp("/etc/ssl/certs")]),
        "kube-controller-manager": (controller_manager_command, [pki, conf]),
        "kube-scheduler": (scheduler_command, [conf]),
    }
    for name, (build, mounts) in builders.items():
        write_manifest(name, static_pod(name, build(node), f"{repo}/{name}:{tag}", mounts))


# --------------------------------------------------------------------------- the node


@dataclass
class Node:
    """What one init/join run works with."""

    config: Config
    version: str
    name: str
    advertise: str
    bind_port: int
    endpoint: str
    pki: Path
    cluster: dict[str, Any]
    cri_socket: str
    skip: set[str]
    ignore: set[str]

    @property
    def cert_dir(self) -> str:
        """certificatesDir as written into configs (without the test root)."""
        return str(self.cluster.get("certificatesDir", "/etc/kubernetes/pki"))

    @property
    def api(self) -> str:
        return self.config.api_version

    def skipped(self, phase: str) -> bool:
        return phase in self.skip or phase.split("/")[0] in self.skip


def default_address() -> str:
    """The source address of the default route (kubeadm's default advertise address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))
            return str(sock.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def registration(doc: dict[str, Any], flags: CmdFlags) -> tuple[str, str]:
    """(node name, CRI socket) from nodeRegistration, flags, or kubeadm's defaults."""
    reg = doc.get("nodeRegistration") or {}
    name = flags.values.get("--node-name") or str(reg.get("name") or socket.gethostname()).lower()
    cri = flags.values.get("--cri-socket") or str(
        reg.get("criSocket") or "unix:///var/run/containerd/containerd.sock"
    )
    if "://" not in cri:
        warn(f'Usage of CRI endpoints without URL scheme is deprecated: "{cri}"')
        cri = "unix://" + cri
    return name, cri


def cri_problem(endpoint: str) -> str | None:
    """Why the container runtime at ``endpoint`` does not answer, or None."""
    path = endpoint.removeprefix("unix://")
    crictl = shutil.which("crictl")
    if crictl:
        done = subprocess.run(
            [crictl, "--runtime-endpoint", endpoint, "info"], capture_output=True, check=False
        )
        return None if done.returncode == 0 else done.stderr.decode().strip()[-200:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(3)
        try:
            sock.connect(path)
        except OSError as exc:
            return f"connect {path}: {exc}"
    return None


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return True
    return False


def preflight(node: Node, control_plane: bool, joining: bool) -> None:
    """kubeadm's preflight checks (a subset, same names); ignored ones become warnings."""
    if node.skipped("preflight"):
        return
    say("[preflight] Running pre-flight checks")
    problems = [p for p in _preflight_checks(node, control_plane, joining) if p]
    fatal = []
    for name, message in problems:
        if "all" in node.ignore or name.lower() in node.ignore:
            warn(f"\t[WARNING {name}]: {message}")
        else:
            fatal.append(f"\t[ERROR {name}]: {message}")
    if fatal:
        raise KubeadmError(
            "[preflight] Some fatal errors occurred:\n" + "\n".join(fatal) + "\n[preflight] If "
            "you know what you are doing, you can make a check non-fatal with "
            "`--ignore-preflight-errors=...`"
        )


def _preflight_checks(
    node: Node, control_plane: bool, joining: bool
) -> list[tuple[str, str] | None]:
    checks: list[tuple[str, str] | None] = []
    if os.geteuid() != 0:
        checks.append(("IsPrivilegedUser", "user is not running as root"))
    ports = [10250]
    if control_plane:
        ports += [node.bind_port, 10257, 10259] + ([2379, 2380] if local_etcd(node.cluster) else [])
        checks += _resource_checks()
    checks += [(f"Port-{p}", f"Port {p} is in use") if port_in_use(p) else None for p in ports]
    for file in _must_not_exist(node, control_plane, joining):
        if host_path(file).exists():
            checks.append((f"FileAvailable-{file.replace('/', '-')}", f"{hp(file)} already exists"))
    forward = host_path("/proc/sys/net/ipv4/ip_forward")
    if not forward.is_file() or forward.read_text().strip() != "1":
        checks.append(
            ("FileContent--proc-sys-net-ipv4-ip_forward", f"{forward} contents are not set to 1")
        )
    if (problem := cri_problem(node.cri_socket)) is not None:
        checks.append(("CRI", f"container runtime is not running: {problem}"))
    if control_plane and local_etcd(node.cluster) and _non_empty(host_path("/var/lib/etcd")):
        checks.append(("DirAvailable--var-lib-etcd", "/var/lib/etcd is not empty"))
    return checks


def _resource_checks() -> list[tuple[str, str] | None]:
    checks: list[tuple[str, str] | None] = []
    if (os.cpu_count() or 1) < 2:
        checks.append(("NumCPU", "the number of available CPUs 1 is less than the required 2"))
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)
    if pages < 1700:
        checks.append(("Mem", f"the system RAM ({pages} MB) is less than the minimum 1700 MB"))
    return checks


def _must_not_exist(node: Node, control_plane: bool, joining: bool) -> list[str]:
    files = []
    if control_plane:
        names = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]
        names += ["etcd"] if local_etcd(node.cluster) else []
        files += [f"/etc/kubernetes/manifests/{n}.yaml" for n in names]
    if joining:
        files += ["/etc/kubernetes/kubelet.conf", "/etc/kubernetes/bootstrap-kubelet.conf"]
        if not control_plane:
            files.append("/etc/kubernetes/pki/ca.crt")
    return files


def _non_empty(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


# --------------------------------------------------------------------------- certificates


def apiserver_sans(node: Node) -> tuple[str, ...]:
    net = node.cluster.get("networking") or {}
    domain = str(net.get("dnsDomain", "cluster.local"))
    service = ipaddress.ip_network(str(net.get("serviceSubnet", "10.96.0.0/12")).split(",")[0])
    sans = ["kubernetes", "kubernetes.default", "kubernetes.default.svc"]
    sans += [f"kubernetes.default.svc.{domain}", node.name, node.advertise, str(service[1])]
    sans.append(split_host_port(node.endpoint, "controlPlaneEndpoint")[0])
    sans += [str(s) for s in (node.cluster.get("apiServer") or {}).get("certSANs") or []]
    return tuple(dict.fromkeys(sans))


def missing_sans(cert: Path, sans: tuple[str, ...]) -> list[str]:
    missing = []
    for san in sans:
        check = "-checkip" if _is_ip(san) else "-checkhost"
        out = openssl("x509", "-noout", "-in", str(cert), check, san).decode()
        if "does match" not in out:
            missing.append(san)
    return missing


def certs_phase(node: Node) -> None:
    """Reuse the pre-seeded PKI (checked) and create only what is missing, like kubeadm."""
    say(f'[certs] Using certificateDir folder "{node.pki}"')
    pki = node.pki
    ensure_ca(pki, "ca", "kubernetes", required=False)
    apiserver = CertSpec(
        "apiserver", "kube-apiserver", server=True, client=False, sans=apiserver_sans(node)
    )
    for spec in (
        apiserver,
        CertSpec("apiserver-kubelet-client", "kube-apiserver-kubelet-client", (ADMIN_GROUP,)),
    ):
        ensure_leaf(spec, pki)
    missing = missing_sans(pki / "apiserver.crt", apiserver.sans)
    if missing:
        raise KubeadmError(
            f"[certs] certificate apiserver is invalid: it is not valid for {', '.join(missing)}"
        )
    ensure_ca(pki, "front-proxy-ca", "front-proxy-ca", required=False)
    ensure_leaf(CertSpec("front-proxy-client", "front-proxy-client", ca="front-proxy-ca"), pki)
    _etcd_certs(node)
    ensure_sa_keys(pki)


def _etcd_certs(node: Node) -> None:
    external = (node.cluster.get("etcd") or {}).get("external")
    if external:
        ca = host_path(str(external.get("caFile", "")))
        for key in ("caFile", "certFile", "keyFile"):
            if not host_path(str(external.get(key, ""))).is_file():
                raise KubeadmError(f"etcd.external.{key}: {external.get(key)}: no such file")
        if not signed_by(host_path(str(external["certFile"])), ca):
            raise KubeadmError(
                f"etcd.external.certFile {external['certFile']} is not signed by "
                "etcd.external.caFile"
            )
        say("[certs] External etcd mode: Skipping etcd/ca certificate authority generation")
        return
    pki = node.pki
    ensure_ca(pki, "etcd/ca", "etcd-ca", required=False)
    sans = (node.name, "localhost", node.advertise, "127.0.0.1", "::1")
    for spec in (
        CertSpec("etcd/server", node.name, server=True, sans=sans, ca="etcd/ca"),
        CertSpec("etcd/peer", node.name, server=True, sans=sans, ca="etcd/ca"),
        CertSpec("etcd/healthcheck-client", "kube-etcd-healthcheck-client", ca="etcd/ca"),
        CertSpec("apiserver-etcd-client", "kube-apiserver-etcd-client", ca="etcd/ca"),
    ):
        ensure_leaf(spec, pki)


def kubeconfig_phase(node: Node, init: bool) -> None:
    endpoint = f"https://{node.endpoint}"
    local = f"https://{_url_host(node.advertise)}:{node.bind_port}"
    say(f'[kubeconfig] Using kubeconfig folder "{hp("/etc/kubernetes")}"')
    ensure_kubeconfig("admin.conf", endpoint, node.pki, "kubernetes-admin", (ADMIN_GROUP,))
    if init and kubeadm_minor(node.version) >= (1, 29):
        ensure_kubeconfig(
            "super-admin.conf", endpoint, node.pki, "kubernetes-super-admin", ("system:masters",)
        )
    if init:
        ensure_kubeconfig(
            "kubelet.conf", endpoint, node.pki, f"system:node:{node.name}", ("system:nodes",)
        )
    ensure_kubeconfig(
        "controller-manager.conf", local, node.pki, "system:kube-controller-manager", ()
    )
    ensure_kubeconfig("scheduler.conf", local, node.pki, "system:kube-scheduler", ())


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


# --------------------------------------------------------------------------- kubelet


def kubelet_configuration(node: Node, given: dict[str, Any]) -> dict[str, Any]:
    """The KubeletConfiguration kubeadm writes: the given document over kubeadm's defaults."""
    net = node.cluster.get("networking") or {}
    service = ipaddress.ip_network(str(net.get("serviceSubnet", "10.96.0.0/12")).split(",")[0])
    defaults: dict[str, Any] = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"cacheTTL": "0s", "enabled": True},
            "x509": {"clientCAFile": f"{node.cert_dir}/ca.crt"},
        },
        "authorization": {"mode": "Webhook"},
        "cgroupDriver": "systemd",
        "clusterDNS": [str(service[10])],
        "clusterDomain": str(net.get("dnsDomain", "cluster.local")),
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "rotateCertificates": True,
        "staticPodPath": "/etc/kubernetes/manifests",
    }
    return {**defaults, **given}


def localized(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with its host paths under ``KUBEXM_STANDIN_ROOT`` (tests; else unchanged)."""
    out = dict(config)
    if config.get("staticPodPath"):
        out["staticPodPath"] = hp(str(config["staticPodPath"]))
    auth = dict(config.get("authentication") or {})
    x509 = dict(auth.get("x509") or {})
    if x509.get("clientCAFile"):
        out["authentication"] = {
            **auth,
            "x509": {**x509, "clientCAFile": hp(str(x509["clientCAFile"]))},
        }
    return out


def kubelet_flags_env(node: Node, reg: dict[str, Any], hostname_override: bool) -> str:
    args = {"container-runtime-endpoint": node.cri_socket}
    if hostname_override:
        args["hostname-override"] = node.name
    taints = reg.get("taints")
    if taints:
        args["register-with-taints"] = ",".join(
            f"{t['key']}={t.get('value', '')}:{t['effect']}".replace("=:", ":") for t in taints
        )
    args.update(
        extra_args({"extraArgs": reg.get("kubeletExtraArgs")}, node.api, "kubeletExtraArgs")
    )
    joined = " ".join(f"--{k}={v}" for k, v in args.items())
    return f'KUBELET_KUBEADM_ARGS="{joined}"\n'


def kubelet_start(node: Node, config: dict[str, Any], reg: dict[str, Any]) -> None:
    say('[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"')
    text = yaml_text(localized(config)).encode()
    write_secret_file(host_path("/var/lib/kubelet/config.yaml"), text, 0o644)
    override = node.name != socket.gethostname().lower()
    env = kubelet_flags_env(node, reg, override)
    write_secret_file(host_path("/var/lib/kubelet/kubeadm-flags.env"), env.encode(), 0o644)
    say("[kubelet-start] Starting the kubelet")
    systemctl("restart", "kubelet")


def systemctl(*args: str) -> None:
    tool = shutil.which("systemctl")
    if tool is None:
        warn(
            f"[kubelet-start] WARNING: unable to {args[0]} the kubelet service: systemctl not found"
        )
        return
    done = subprocess.run([tool, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        warn(f"[kubelet-start] WARNING: systemctl {' '.join(args)}: {done.stderr.strip()[-200:]}")


def wait_kubelet(config: dict[str, Any], timeout: float, args: dict[str, str]) -> None:
    """Wait for the kubelet's healthz (a ``healthz-port`` kubelet flag beats the config)."""
    host = args.get("healthz-bind-address") or str(config.get("healthzBindAddress") or "127.0.0.1")
    port = args.get("healthz-port") or config.get("healthzPort", 10248)
    url = f"http://{_url_host(host)}:{port}/healthz"
    say(
        f"[kubelet-check] Waiting for a healthy kubelet at {url}. "
        f"This can take up to {timeout:.0f}s"
    )
    wait_until(f"the kubelet at {url}", lambda: http_ok(url), timeout)
    say("[kubelet-check] The kubelet is healthy")


def wait_control_plane(node: Node, api: Api, timeout: float) -> None:
    url = f"https://{_url_host(node.advertise)}:{node.bind_port}"
    say(f"[control-plane-check] Checking kube-apiserver at {url}/livez")
    local = Api(url, api.context)

    def ready() -> bool | None:
        status, _ = local.call("GET", "/readyz")
        return True if status == 200 else None

    wait_until(f"kube-apiserver at {url}/readyz", ready, timeout)
    for what, section, port, path in (
        ("kube-controller-manager", "controllerManager", 10257, "healthz"),
        ("kube-scheduler", "scheduler", 10259, "livez"),
    ):
        args = extra_args(node.cluster.get(section) or {}, node.api, section)
        target = f"https://127.0.0.1:{args.get('secure-port', port)}/{path}"
        say(f"[control-plane-check] Checking {what} at {target}")
        wait_until(f"{what} at {target}", lambda t=target: http_ok(t, insecure_context()), timeout)
    say("[control-plane-check] All control plane components are healthy")


def mark_control_plane(node: Node, api: Api, reg: dict[str, Any], timeout: float) -> None:
    say(f"[mark-control-plane] Marking the node {node.name} as control-plane")
    path = f"/api/v1/nodes/{node.name}"
    current = wait_until(f"the Node {node.name}", lambda: api.get(path), timeout)
    wanted = reg.get("taints")
    if wanted is None:
        wanted = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    taints = list((current.get("spec") or {}).get("taints") or [])
    taints += [t for t in wanted if t not in taints]
    patch = {
        "metadata": {
            "labels": {
                "node-role.kubernetes.io/control-plane": "",
                "node.kubernetes.io/exclude-from-external-load-balancers": "",
            }
        },
        "spec": {"taints": taints},
    }
    api.must("PATCH", path, patch, "application/merge-patch+json")


def upload_config(node: Node, api: Api, kubelet: dict[str, Any], sub: str = "all") -> None:
    """The upload-config phase (``sub``: all, kubeadm or kubelet); re-running replaces."""
    if sub in ("all", "kubeadm"):
        say(
            '[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in '
            'the "kube-system" Namespace'
        )
        cluster = {k: v for k, v in node.cluster.items()}
        api.apply(
            CONFIGMAPS, _configmap("kubeadm-config", {"ClusterConfiguration": yaml_text(cluster)})
        )
    if sub in ("all", "kubelet"):
        say('[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system')
        api.apply(CONFIGMAPS, _configmap("kubelet-config", {"kubelet": yaml_text(kubelet)}))


def _configmap(name: str, data: dict[str, str], namespace: str = "kube-system") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


def bootstrap_tokens(node: Node, api: Api, show: bool = True) -> list[str]:
    """Store InitConfiguration.bootstrapTokens (or one new 24h token) and cluster-info."""
    ca_pem = (node.pki / "ca.crt").read_bytes()
    say('[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace')
    api.apply(
        "/api/v1/namespaces/kube-public/configmaps",
        cluster_info_object(f"https://{node.endpoint}", ca_pem),
    )
    given = node.config.get("InitConfiguration").get("bootstrapTokens") or [{}]
    tokens = []
    for item in given:
        token = str(item.get("token") or new_token())
        ttl = parse_duration(str(item.get("ttl", DEFAULT_TTL)))
        usages = [str(u) for u in item.get("usages") or DEFAULT_USAGES]
        groups = [str(g) for g in item.get("groups") or DEFAULT_GROUPS]
        store_token(api, token, ttl, usages, groups, str(item.get("description", "")))
        tokens.append(token)
    if show:
        say(f"[bootstrap-token] Using token: {tokens[0]}")
    return tokens


# --------------------------------------------------------------------------- addons


def addons(node: Node, api: Api, kubelet: dict[str, Any], sub: str = "all") -> None:
    """kubeadm's addon phase (``sub``: all, coredns or kube-proxy): CoreDNS and kube-proxy
    objects (nothing runs them here). An addon the ClusterConfiguration disables (v1beta4
    ``dns.disabled`` / ``proxy.disabled``) or the run skips is left out."""
    repo = str(node.cluster.get("imageRepository") or "registry.k8s.io")
    if sub in ("all", "coredns") and _addon_wanted(node, "dns", "coredns", "CoreDNS"):
        dns_ip = str((kubelet.get("clusterDNS") or ["10.96.0.10"])[0])
        _coredns(api, repo, dns_ip, str(kubelet.get("clusterDomain", "cluster.local")))
        say("[addons] Applied essential addon: CoreDNS")
    if sub in ("all", "kube-proxy") and _addon_wanted(node, "proxy", "kube-proxy", "kube-proxy"):
        _kube_proxy(node, api, repo)
        say("[addons] Applied essential addon: kube-proxy")


def _addon_wanted(node: Node, section: str, phase: str, what: str) -> bool:
    if node.skipped(f"addon/{phase}"):
        return False
    if (node.cluster.get(section) or {}).get("disabled") is True:
        say(f"[addons] Not installing the {what} addon: ClusterConfiguration disables it")
        return False
    return True


def _coredns(api: Api, repo: str, dns_ip: str, domain: str) -> None:
    corefile = (
        ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n"
        f"    kubernetes {domain} in-addr.arpa ip6.arpa {{\n       pods insecure\n"
        "       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n"
        "    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n"
        "    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n"
    )
    api.apply(CONFIGMAPS, _configmap("coredns", {"Corefile": corefile}))
    labels = {"k8s-app": "kube-dns"}
    api.apply("/api/v1/namespaces/kube-system/services", {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": labels},
        "spec": {"clusterIP": dns_ip, "selector": labels, "ports": [
            {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
        ]},
    })  # fmt: skip
    api.apply("/apis/apps/v1/namespaces/kube-system/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
        "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "coredns", "image": f"{repo}/coredns/coredns:v1.12.1",
                                     "args": ["-conf", "/etc/coredns/Corefile"]}]},
        }},
    })  # fmt: skip


def _kube_proxy(node: Node, api: Api, repo: str) -> None:
    proxy = node.config.texts.get("KubeProxyConfiguration") or (
        "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"
    )
    kubeconfig = kubeconfig_text(
        f"https://{node.endpoint}", (node.pki / "ca.crt").read_bytes(), "default",
        {"tokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token"},
    )  # fmt: skip
    data = {"config.conf": proxy, "kubeconfig.conf": kubeconfig}
    api.apply(CONFIGMAPS, _configmap("kube-proxy", data))
    labels = {"k8s-app": "kube-proxy"}
    api.apply("/apis/apps/v1/namespaces/kube-system/daemonsets", {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": labels},
        "spec": {"selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {"hostNetwork": True, "containers": [{
                "name": "kube-proxy",
                "image": f"{repo}/kube-proxy:{node.cluster.get('kubernetesVersion')}",
                "command": ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf",
                            "--hostname-override=$(NODE_NAME)"],
            }]},
        }},
    })  # fmt: skip


# --------------------------------------------------------------------------- init


def node_from_config(config: Config, version: str, flags: CmdFlags, doc_kind: str) -> Node:
    doc = config.get(doc_kind)
    cluster = config.get("ClusterConfiguration")
    name, cri = registration(doc, flags)
    endpoint_doc = (
        doc.get("localAPIEndpoint") or (doc.get("controlPlane") or {}).get("localAPIEndpoint") or {}
    )
    advertise = flags.values.get("--apiserver-advertise-address") or str(
        endpoint_doc.get("advertiseAddress") or default_address()
    )
    return Node(
        config=config,
        version=version,
        name=name,
        advertise=advertise,
        bind_port=int(endpoint_doc.get("bindPort", 6443)),
        endpoint=str(cluster.get("controlPlaneEndpoint", "")),
        pki=host_path(str(cluster.get("certificatesDir", "/etc/kubernetes/pki"))),
        cluster=cluster,
        cri_socket=cri,
        skip={s.lower() for s in flags.lists.get("--skip-phases") or doc.get("skipPhases") or []},
        ignore={s.lower() for s in flags.lists.get("--ignore-preflight-errors", [])},
    )


def health_timeout(config: Config, field_name: str, default: float) -> float:
    timeouts = (
        config.get("InitConfiguration").get("timeouts")
        or config.get("JoinConfiguration").get("timeouts")
        or {}
    )
    value = timeouts.get(field_name)
    return parse_duration(str(value)) if value else default


def cmd_init(flags: CmdFlags, version: str) -> int:
    """``kubeadm init --config F``: the phases kubeadm runs, on the pre-seeded PKI."""
    if "--config" not in flags.values:
        raise KubeadmError("the stand-in needs --config (kubexm always passes one)")
    config = load_config(flags.values["--config"], version)
    check_cluster_configuration(config, version)
    node = node_from_config(config, version, flags, "InitConfiguration")
    say(f"[init] Using Kubernetes version: {node.cluster.get('kubernetesVersion')}")
    reg = config.get("InitConfiguration").get("nodeRegistration") or {}
    preflight(node, control_plane=True, joining=False)
    if not node.skipped("certs"):
        certs_phase(node)
    if not node.skipped("kubeconfig"):
        kubeconfig_phase(node, init=True)
    if local_etcd(node.cluster) and not node.skipped("etcd"):
        cluster_line = f"{node.name}=https://{_url_host(node.advertise)}:2380"
        write_manifest(
            "etcd",
            static_pod("etcd", etcd_command(node, cluster_line, "new"), "etcd", [str(node.pki)]),
        )
    if not node.skipped("control-plane"):
        write_control_plane(node)
    kubelet = kubelet_configuration(node, config.get("KubeletConfiguration"))
    if not node.skipped("kubelet-start"):
        kubelet_start(node, kubelet, reg)
    _init_cluster_phases(node, flags, kubelet, reg)
    return 0


def _init_cluster_phases(
    node: Node, flags: CmdFlags, kubelet: dict[str, Any], reg: dict[str, Any]
) -> None:
    timeout = health_timeout(node.config, "controlPlaneComponentHealthCheck", HEALTH_TIMEOUT)
    args = extra_args({"extraArgs": reg.get("kubeletExtraArgs")}, node.api, "kubeletExtraArgs")
    wait_kubelet(kubelet, health_timeout(node.config, "kubeletHealthCheck", HEALTH_TIMEOUT), args)
    api = init_api(flags)
    if not node.skipped("wait-control-plane"):
        wait_control_plane(node, api, timeout)
    if not node.skipped("upload-config"):
        upload_config(node, api, kubelet)
    key = ""
    if flags.values.get("--upload-certs") == "true" and not node.skipped("upload-certs"):
        key = flags.values.get("--certificate-key") or str(
            node.config.get("InitConfiguration").get("certificateKey") or secrets.token_hex(32)
        )
        upload_certs(api, node.cluster, node.pki, key)
        say(f"[upload-certs] Using certificate key:\n{key}")
    if not node.skipped("mark-control-plane"):
        mark_control_plane(node, api, reg, timeout)
    show = flags.values.get("--skip-token-print") != "true"
    tokens = [] if node.skipped("bootstrap-token") else bootstrap_tokens(node, api, show)
    if not node.skipped("kubelet-finalize"):
        kubelet_finalize(node)
    if not node.skipped("addon"):
        addons(node, api, kubelet)
    say("\nYour Kubernetes control-plane has initialized successfully!\n")
    if tokens and not node.skipped("show-join-command"):
        token = tokens[0] if show else "<value withheld>"
        _print_join(node.endpoint, token, spki_hash((node.pki / "ca.crt").read_bytes()), key)


def _print_join(endpoint: str, token: str, pin: str, key: str) -> None:
    base = f"kubeadm join {endpoint} --token {token} \\\n\t--discovery-token-ca-cert-hash {pin}"
    if key:
        say(
            "You can now join any number of control-plane nodes:\n\n  "
            f"{base} \\\n\t--control-plane --certificate-key {key}\n"
        )
    say(f"Then you can join any number of worker nodes:\n\n{base}")


def init_api(flags: CmdFlags) -> Api:
    """The client of the init phases: ``--kubeconfig``, else super-admin.conf while kubeadm's
    admin group may not be bound yet, else admin.conf."""
    if "--kubeconfig" in flags.values:
        return admin_api(flags)
    admin = hp("/etc/kubernetes/super-admin.conf")
    return api_from_kubeconfig(
        Path(admin if Path(admin).is_file() else hp("/etc/kubernetes/admin.conf"))
    )


KUBELET_PEM = "/var/lib/kubelet/pki/kubelet-client-current.pem"


def kubelet_finalize(node: Node) -> None:
    """kubelet-finalize: once the kubelet has a rotated client certificate, kubelet.conf
    points at it instead of embedding the one kubeadm issued (idempotent)."""
    conf = host_path("/etc/kubernetes/kubelet.conf")
    if not conf.is_file():
        raise KubeadmError(
            f"error execution phase kubelet-finalize/enable-client-cert-rotation: could not "
            f"load the kubeconfig {conf}: no such file"
        )
    if not host_path(KUBELET_PEM).is_file():
        warn(
            f"[kubelet-finalize] {KUBELET_PEM} does not exist (yet): kubelet.conf keeps its "
            "embedded client certificate"
        )
        return
    current = load_kubeconfig("kubeconfig", str(conf))
    pem = hp(KUBELET_PEM)
    creds = {"client-certificate": pem, "client-key": pem}
    text = kubeconfig_text(current.server, current.ca, f"system:node:{node.name}", creds)
    write_secret_file(conf, text.encode())
    say(
        f'[kubelet-finalize] Updating "{conf}" to point to a rotatable kubelet client '
        "certificate and key"
    )


def init_phase_handler(phase: str, sub: str) -> Any:
    """The handler of ``kubeadm init phase <phase> [sub] --config F``: the same phase
    function ``init`` runs, against the control plane an earlier init brought up."""

    def handler(flags: CmdFlags, version: str) -> int:
        if "--config" not in flags.values:
            raise KubeadmError("the stand-in needs --config (kubexm always passes one)")
        mixed = sorted(f.lstrip("-") for f in ADDON_CLI_FLAGS if f in flags.values)
        if mixed:
            raise KubeadmError(f"can not mix '--config' with arguments {mixed}")
        config = load_config(flags.values["--config"], version)
        check_cluster_configuration(config, version)
        node = node_from_config(config, version, flags, "InitConfiguration")
        node.skip = set()  # a phase named on the command line runs
        reg = config.get("InitConfiguration").get("nodeRegistration") or {}
        kubelet = kubelet_configuration(node, config.get("KubeletConfiguration"))
        if phase == "kubelet-finalize":
            kubelet_finalize(node)
            return 0
        api = init_api(flags)
        if phase == "upload-config":
            upload_config(node, api, kubelet, sub)
        elif phase == "mark-control-plane":
            timeout = health_timeout(config, "controlPlaneComponentHealthCheck", HEALTH_TIMEOUT)
            mark_control_plane(node, api, reg, timeout)
        elif phase == "bootstrap-token":
            bootstrap_tokens(node, api, show=flags.values.get("--skip-token-print") != "true")
        else:
            addons(node, api, kubelet, sub)
        return 0

    return handler


def cmd_upload_certs(flags: CmdFlags, version: str) -> int:
    """``kubeadm init phase upload-certs --upload-certs [--config F] [--certificate-key K]``."""
    if flags.values.get("--upload-certs") != "true":
        say("[upload-certs] Skipping phase. Please see --upload-certs")
        return 0
    config = load_config(flags.values["--config"], version) if "--config" in flags.values else None
    cluster = config.get("ClusterConfiguration") if config else {}
    key = (
        flags.values.get("--certificate-key")
        or (str(config.get("InitConfiguration").get("certificateKey") or "") if config else "")
        or secrets.token_hex(32)
    )
    api = api_from_kubeconfig(
        host_path(flags.values.get("--kubeconfig", "/etc/kubernetes/admin.conf"))
    )
    if not cluster:
        stored = api.get(f"{CONFIGMAPS}/kubeadm-config") or {}
        docs = load_yaml_documents((stored.get("data") or {}).get("ClusterConfiguration", ""))
        cluster = docs[0] if docs and isinstance(docs[0], dict) else {}
    pki = host_path(str(cluster.get("certificatesDir", "/etc/kubernetes/pki")))
    upload_certs(api, cluster, pki, key)
    if flags.values.get("--skip-certificate-key-print") != "true":
        say(f"[upload-certs] Using certificate key:\n{key}")
    return 0


# --------------------------------------------------------------------------- join


@dataclass
class Discovery:
    endpoint: str
    token: str
    pins: list[str]
    unsafe: bool
    timeout: float


def join_config(flags: CmdFlags, version: str) -> Config:
    """The JoinConfiguration from ``--config``, or one built from the join-command flags."""
    if "--config" in flags.values:
        mixed = [
            f
            for f in flags.values
            if f not in ("--config", "--kubeconfig", "--v", "-v", "--dry-run")
        ]
        mixed += [f for f in flags.lists if f not in ("--ignore-preflight-errors", "--skip-phases")]
        if mixed or flags.words:
            raise KubeadmError(
                f"can not mix '--config' with arguments {sorted(mixed) + flags.words}"
            )
        config = load_config(flags.values["--config"], version)
        if "JoinConfiguration" not in config.docs:
            raise KubeadmError(f"{flags.values['--config']}: no JoinConfiguration document")
        return config
    token = flags.values.get("--token", "")
    bootstrap = {
        "apiServerEndpoint": (flags.words or [""])[0],
        "token": flags.values.get("--discovery-token", token),
        "caCertHashes": [
            h for h in flags.values.get("--discovery-token-ca-cert-hash", "").split(",") if h
        ],
        "unsafeSkipCAVerification": flags.values.get(
            "--discovery-token-unsafe-skip-ca-verification"
        )
        == "true",
    }
    join: dict[str, Any] = {
        "discovery": {
            "bootstrapToken": bootstrap,
            "tlsBootstrapToken": flags.values.get("--tls-bootstrap-token", token),
        }
    }
    if flags.values.get("--control-plane") == "true":
        join["controlPlane"] = {"certificateKey": flags.values.get("--certificate-key", "")}
    return Config(f"{KUBEADM_GROUP}/v1beta4", {"JoinConfiguration": join}, {})


def discovery_of(join: dict[str, Any]) -> Discovery:
    disc = join.get("discovery") or {}
    if disc.get("file"):
        raise KubeadmError("discovery.file is not supported by the stand-in (kubexm uses tokens)")
    boot = disc.get("bootstrapToken") or {}
    token = str(boot.get("token") or "")
    if not TOKEN_RE.match(token):
        raise KubeadmError(
            "discovery.bootstrapToken.token: Invalid value: the bootstrap token is invalid"
        )
    endpoint = str(boot.get("apiServerEndpoint") or "")
    split_host_port(endpoint, "discovery.bootstrapToken.apiServerEndpoint")
    pins = [str(p) for p in boot.get("caCertHashes") or []]
    unsafe = bool(boot.get("unsafeSkipCAVerification"))
    if not pins and not unsafe:
        raise KubeadmError(
            'discovery.bootstrapToken: Invalid value: "": using token-based discovery without '
            "caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm "
            "config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue"
        )
    for pin in pins:
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", pin):
            raise KubeadmError(f'invalid hash "{pin}", expected "sha256:<64 hex>"')
    timeouts = join.get("timeouts") or {}
    timeout = parse_duration(str(timeouts["discovery"])) if timeouts.get("discovery") else 300.0
    return Discovery(endpoint, token, pins, unsafe, timeout)


def discover_ca(disc: Discovery) -> bytes:
    """The cluster CA from cluster-info: JWS-signed with the token, pinned by caCertHashes,
    then re-read over TLS verified by that CA (kubeadm's token discovery)."""
    token_id, token_secret_part = disc.token.split(".")
    server = f"https://{disc.endpoint}"
    say(f'[discovery] Trying to connect to API Server "{disc.endpoint}"')
    insecure = Api(server, insecure_context())

    def signed() -> dict[str, Any] | None:
        info = insecure.get(CLUSTER_INFO)
        data = (info or {}).get("data") or {}
        return data if f"jws-kubeconfig-{token_id}" in data else None

    data = wait_until(
        f'a JWS signature for token ID "{token_id}" in the cluster-info ConfigMap',
        signed,
        disc.timeout,
        2.0,
    )
    if not hmac.compare_digest(
        data[f"jws-kubeconfig-{token_id}"],
        jws_detached(data["kubeconfig"], token_id, token_secret_part),
    ):
        raise KubeadmError(
            "failed to verify JWS signature of received cluster info object, "
            "can't trust this API Server"
        )
    ca_pem = _ca_of(data["kubeconfig"])
    pin = spki_hash(ca_pem)
    if disc.pins and pin not in disc.pins:
        raise KubeadmError(
            f"cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "
            f'"{pin}" are pinned'
        )
    if not disc.pins:
        warn("[discovery] WARNING: the CA is not pinned (unsafeSkipCAVerification)")
    secure = Api(server, client_context(ca_pem))
    if secure.get(CLUSTER_INFO) is None:
        raise KubeadmError("cluster-info vanished during discovery")
    say(
        "[discovery] Cluster info signature and contents are valid and TLS certificate "
        f'validates against pinned roots, will use API Server "{disc.endpoint}"'
    )
    return ca_pem


def _ca_of(kubeconfig: str) -> bytes:
    doc = (load_yaml_documents(kubeconfig) or [{}])[0]
    clusters = doc.get("clusters") or [{}]
    data = (clusters[0].get("cluster") or {}).get("certificate-authority-data", "")
    if not data:
        raise KubeadmError("the cluster-info kubeconfig has no certificate-authority-data")
    return base64.b64decode(str(data))


def _cluster_document(api: Api, name: str, key: str) -> dict[str, Any]:
    stored = api.get(f"{CONFIGMAPS}/{name}")
    if stored is None:
        raise KubeadmError(
            f'unable to fetch the kubeadm-config ConfigMap: configmaps "{name}" not found'
        )
    text = (stored.get("data") or {}).get(key, "")
    docs = load_yaml_documents(text) if text else []
    return docs[0] if docs and isinstance(docs[0], dict) else {}


def cmd_join(flags: CmdFlags, version: str) -> int:
    """``kubeadm join --config F``: token discovery pinned by caCertHashes, then the node."""
    config = join_config(flags, version)
    join = config.get("JoinConfiguration")
    disc = discovery_of(join)
    control = join.get("controlPlane")
    ca_pem = discover_ca(disc)
    tls_token = str((join.get("discovery") or {}).get("tlsBootstrapToken") or disc.token)
    api = Api(f"https://{disc.endpoint}", client_context(ca_pem), token=tls_token)
    cluster = _cluster_document(api, "kubeadm-config", "ClusterConfiguration")
    if control is not None and not cluster.get("controlPlaneEndpoint"):
        raise KubeadmError(
            "unable to add a new control plane instance to a cluster that doesn't have a stable "
            "controlPlaneEndpoint address"
        )
    config.docs["ClusterConfiguration"] = cluster
    node = node_from_config(config, version, flags, "JoinConfiguration")
    node.endpoint = disc.endpoint if control is None else node.endpoint
    preflight(node, control_plane=control is not None, joining=True)
    if control is not None and not node.skipped("control-plane-prepare"):
        _prepare_control_plane(node, api, control)
    write_secret_file(node.pki / "ca.crt", ca_pem, 0o644)
    if not node.skipped("kubelet-start"):
        kubelet = _cluster_document(api, "kubelet-config", "kubelet")
        _join_kubelet(node, join, kubelet, ca_pem, tls_token)
    if control is not None:
        _join_control_plane(node, join)
    say("\nThis node has joined the cluster")
    return 0


def _join_control_plane(node: Node, join: dict[str, Any]) -> None:
    admin = api_from_kubeconfig(host_path("/etc/kubernetes/admin.conf"))
    timeout = health_timeout(node.config, "controlPlaneComponentHealthCheck", HEALTH_TIMEOUT)
    if not node.skipped("wait-control-plane"):
        wait_control_plane(node, admin, timeout)
    if not node.skipped("control-plane-join"):
        mark_control_plane(node, admin, join.get("nodeRegistration") or {}, timeout)


def _prepare_control_plane(node: Node, api: Api, control: dict[str, Any]) -> None:
    key = str(control.get("certificateKey") or "")
    if key:
        download_certs(api, node.cluster, node.pki, key)
    elif not (node.pki / "ca.key").is_file():
        raise KubeadmError(
            "error execution phase control-plane-prepare/download-certs: no certificateKey given "
            f"and the shared certificates are not on disk ({node.pki}/ca.key missing)"
        )
    certs_phase(node)
    kubeconfig_phase(node, init=False)
    write_control_plane(node)
    if local_etcd(node.cluster):
        warn("[etcd] the stand-in does not add a member to a stacked etcd cluster (see README)")


def _join_kubelet(
    node: Node, join: dict[str, Any], kubelet: dict[str, Any], ca_pem: bytes, token: str
) -> None:
    boot = host_path("/etc/kubernetes/bootstrap-kubelet.conf")
    text = kubeconfig_text(
        f"https://{node.endpoint}", ca_pem, "tls-bootstrap-token-user", {"token": token}
    )
    write_secret_file(boot, text.encode())
    config = kubelet_configuration(node, kubelet)
    kubelet_start(node, config, join.get("nodeRegistration") or {})
    conf = host_path("/etc/kubernetes/kubelet.conf")
    timeout = health_timeout(node.config, "tlsBootstrap", TLS_BOOTSTRAP_TIMEOUT)
    say("[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap")
    wait_until(f"the kubelet to write {conf}", lambda: True if conf.is_file() else None, timeout)
    reg = join.get("nodeRegistration") or {}
    wait_kubelet(
        config,
        timeout,
        extra_args({"extraArgs": reg.get("kubeletExtraArgs")}, node.api, "kubeletExtraArgs"),
    )
    boot.unlink(missing_ok=True)


# --------------------------------------------------------------------------- tokens, reset


def admin_api(flags: CmdFlags) -> Api:
    return api_from_kubeconfig(
        host_path(flags.values.get("--kubeconfig", "/etc/kubernetes/admin.conf"))
    )


def cmd_token_create(flags: CmdFlags, version: str) -> int:
    api = admin_api(flags)
    token = flags.words[0] if flags.words else new_token()
    ttl = parse_duration(flags.values.get("--ttl", DEFAULT_TTL))
    usages = flags.lists.get("--usages") or DEFAULT_USAGES
    groups = flags.lists.get("--groups") or DEFAULT_GROUPS
    for group in groups:
        if not re.fullmatch(r"system:bootstrappers(:[a-z0-9:-]{0,255}[a-z0-9])?", group):
            raise KubeadmError(
                f'--groups: Invalid value: "{group}": must match system:bootstrappers[:<name>]'
            )
    store_token(api, token, ttl, usages, groups, flags.values.get("--description", ""))
    if flags.values.get("--print-join-command") != "true":
        say(token)
        return 0
    config = load_kubeconfig(
        "kubeconfig", str(host_path(flags.values.get("--kubeconfig", "/etc/kubernetes/admin.conf")))
    )
    endpoint = config.server.removeprefix("https://")
    line = f"kubeadm join {endpoint} --token {token} "
    line += f"--discovery-token-ca-cert-hash {spki_hash(config.ca)}"
    if flags.values.get("--certificate-key"):
        line += f" --control-plane --certificate-key {flags.values['--certificate-key']}"
    say(line)
    return 0


def cmd_token_list(flags: CmdFlags, version: str) -> int:
    tokens = list_tokens(admin_api(flags))
    say(f"{'TOKEN':<24}{'TTL':<8}{'EXPIRES':<22}{'USAGES':<26}{'DESCRIPTION':<40}EXTRA GROUPS")
    for t in tokens:
        usages = ",".join(
            k.removeprefix("usage-bootstrap-")
            for k, v in t.items()
            if k.startswith("usage-bootstrap-") and v == "true"
        )
        expires = t.get("expiration", "<forever>")
        ttl = _ttl_left(expires) if "expiration" in t else "<forever>"
        token = f"{t['token-id']}.{t['token-secret']}"
        say(
            f"{token:<24}{ttl:<8}{expires:<22}{usages:<26}"
            f"{t.get('description', '<none>'):<40}{t.get('auth-extra-groups', '')}"
        )
    return 0


def _ttl_left(stamp: str) -> str:
    left = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) - dt.datetime.now(dt.UTC)
    hours = int(left.total_seconds() // 3600)
    return f"{hours}h" if hours else f"{int(left.total_seconds() // 60)}m"


def cmd_token_delete(flags: CmdFlags, version: str) -> int:
    if not flags.words:
        raise KubeadmError(
            "missing subcommand; 'token delete' is missing token of form '[a-z0-9]{6}'"
        )
    api = admin_api(flags)
    for word in flags.words:
        token_id = word.split(".")[0]
        if not re.fullmatch(r"[a-z0-9]{6}", token_id):
            raise KubeadmError(
                'given token didn\'t match pattern "[a-z0-9]{6}" or "[a-z0-9]{6}.[a-z0-9]{16}"'
            )
        status, _ = api.call("DELETE", f"{SECRETS}/bootstrap-token-{token_id}")
        if status == 404:
            raise KubeadmError(f'bootstrap token "{token_id}" not found')
        if status >= 300:
            raise KubeadmError(f'failed to delete bootstrap token "{token_id}": HTTP {status}')
        say(f'bootstrap token "{token_id}" deleted')
    sign_cluster_info(api)
    return 0


RESET_FILES = (
    "admin.conf",
    "super-admin.conf",
    "kubelet.conf",
    "bootstrap-kubelet.conf",
    "controller-manager.conf",
    "scheduler.conf",
)


def cmd_reset(flags: CmdFlags, version: str) -> int:
    if flags.values.get("-f") != "true" and flags.values.get("--force") != "true":
        say("[reset] Are you sure you want to proceed? [y/N]: ")
        if sys.stdin.readline().strip().lower() != "y":
            raise KubeadmError("aborted reset operation")
    say("[reset] Stopping the kubelet service")
    systemctl("stop", "kubelet")
    manifests = host_path("/etc/kubernetes/manifests")
    stacked = (manifests / "etcd.yaml").is_file()
    dirs = [
        manifests,
        host_path("/var/lib/kubelet"),
        host_path(flags.values.get("--cert-dir", "/etc/kubernetes/pki")),
    ]
    if stacked:
        dirs.append(host_path("/var/lib/etcd"))
    say(f"[reset] Deleting contents of directories: {[str(d) for d in dirs]}")
    for directory in dirs:
        _empty_dir(directory)
    files = [host_path(f"/etc/kubernetes/{name}") for name in RESET_FILES]
    say(f"[reset] Deleting files: {[str(f) for f in files]}")
    for file in files:
        file.unlink(missing_ok=True)
    say(
        "The reset process does not clean CNI configuration, iptables/IPVS rules or "
        "$HOME/.kube/config."
    )
    return 0


def _empty_dir(directory: Path) -> None:
    if not directory.is_dir():
        return
    for child in directory.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def cmd_certificate_key(flags: CmdFlags, version: str) -> int:
    say(secrets.token_hex(32))
    return 0


def cmd_config_validate(flags: CmdFlags, version: str) -> int:
    if kubeadm_minor(version) < (1, 26):
        raise KubeadmError('unknown command "validate" for "kubeadm config"')
    if "--config" not in flags.values:
        raise KubeadmError("the --config flag is mandatory")
    config = load_config(flags.values["--config"], version)
    if "ClusterConfiguration" in config.docs:
        check_cluster_configuration(config, version)
    if "JoinConfiguration" in config.docs:
        discovery_of(config.get("JoinConfiguration"))
    say("ok")
    return 0


def cmd_token_generate(flags: CmdFlags, version: str) -> int:
    say(new_token())
    return 0


HANDLERS: dict[str, Any] = {
    **{
        f"init phase {phase} {sub}".strip(): init_phase_handler(phase, sub)
        for phase, subs in INIT_PHASES.items()
        for sub in subs
    },
    "version": cmd_version,
    "init": cmd_init,
    "init phase upload-certs": cmd_upload_certs,
    "join": cmd_join,
    "token create": cmd_token_create,
    "token list": cmd_token_list,
    "token delete": cmd_token_delete,
    "token generate": cmd_token_generate,
    "reset": cmd_reset,
    "certs certificate-key": cmd_certificate_key,
    "config validate": cmd_config_validate,
}


def main(argv: list[str], version: str) -> int:
    """Run one kubeadm command; a failed check prints kubeadm's error form and exits 1."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        say("Usage: kubeadm [command]  (kubexm test stand-in, see tests/e2e/standins)")
        return 0 if argv else 1
    try:
        command, rest = split_command(argv)
        flags = parse_command_flags(command, rest)
        unsupported = [
            f
            for f in ("--dry-run", "--patches", "--print-manifest")
            if flags.values.get(f, "false") != "false"
        ]
        if unsupported:
            raise KubeadmError(f"{', '.join(unsupported)}: not supported by the kubexm stand-in")
        return HANDLERS[command](flags, version)
    except (KubeadmError, YamlError) as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
