"""crictl stand-in (cri-tools cannot be had here): the commands kubexm and the kubelet
stand-in use, answered from the real containerd through ``ctr`` instead of the CRI gRPC API.

``info`` reports RuntimeReady only when containerd answers on the endpoint's socket (from
``--runtime-endpoint``/``-r`` or ``/etc/crictl.yaml``) and NetworkReady only when a CNI config
exists in /etc/cni/net.d, as the real runtime status does; ``version`` likewise needs the
runtime to answer. ``images`` and ``ps`` list the ``k8s.io`` namespace. Anything else is an
unknown command, exit 1.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from common import fail

CRICTL_CONFIG = Path("/etc/crictl.yaml")
CNI_CONF_DIR = Path("/etc/cni/net.d")
DEFAULT_ENDPOINT = "unix:///run/containerd/containerd.sock"


def configured_endpoint(argv: list[str]) -> tuple[str, list[str]]:
    """The runtime endpoint (flag, then /etc/crictl.yaml, then containerd's default) and the
    remaining arguments."""
    rest: list[str] = []
    endpoint = ""
    args = iter(argv)
    for arg in args:
        if arg in ("-r", "--runtime-endpoint"):
            endpoint = next(args, "")
        elif arg.startswith("--runtime-endpoint="):
            endpoint = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    if not endpoint and CRICTL_CONFIG.is_file():
        for line in CRICTL_CONFIG.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "runtime-endpoint":
                endpoint = value.strip().strip("\"'")
    return endpoint or DEFAULT_ENDPOINT, rest


def ctr(socket: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ctr", "--address", socket, "--namespace", "k8s.io", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )


def runtime_version(socket: str) -> str:
    """containerd's version, or exit 1 like crictl when the runtime does not answer."""
    done = ctr(socket, "version")
    if done.returncode != 0:
        fail(f"validate service connection: CRI v1 runtime API is not implemented for endpoint "
             f'"unix://{socket}": {done.stderr.strip()}')  # fmt: skip
    for line in done.stdout.splitlines():
        if line.strip().startswith("Version:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def info(socket: str) -> dict[str, object]:
    runtime_version(socket)
    network = any(CNI_CONF_DIR.glob("*.conf*")) if CNI_CONF_DIR.is_dir() else False
    conditions = [
        {"type": "RuntimeReady", "status": True, "reason": "", "message": ""},
        {
            "type": "NetworkReady",
            "status": network,
            "reason": "" if network else "NetworkPluginNotReady",
            "message": ""
            if network
            else "Network plugin returns error: cni plugin not initialized",
        },
    ]
    return {"status": {"conditions": conditions}, "config": {"standIn": True}}


def listing(socket: str, what: str) -> str:
    done = ctr(
        socket, *(["images", "ls", "-q"] if what == "images" else ["containers", "ls", "-q"])
    )
    if done.returncode != 0:
        fail(f"listing {what}: {done.stderr.strip()}")
    return done.stdout


def main(argv: list[str], version: str) -> int:
    if argv[:1] in (["--version"], ["-v"]):
        print(f"crictl version {version}")
        return 0
    endpoint, rest = configured_endpoint(argv)
    socket = endpoint.removeprefix("unix://")
    command = rest[0] if rest else ""
    if command == "info":
        print(json.dumps(info(socket), indent=2))
    elif command == "version":
        print(f"Version:  0.1.0\nRuntimeName:  containerd\nRuntimeVersion:  "
              f"{runtime_version(socket)}\nRuntimeApiVersion:  v1")  # fmt: skip
    elif command in ("images", "img", "ps"):
        print(listing(socket, "images" if command != "ps" else "containers"), end="")
    else:
        fail(f'No help topic for "{command}" (crictl stand-in: info, version, images, ps)')
    return 0
