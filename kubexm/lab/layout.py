"""Where the lab keeps things, how hosts are named and addressed, and the state file.

Everything lives under one root (default ``/var/tmp/kubexm-lab``)::

    templates/<os>/rootfs      debootstrapped template, shared read-only by every host
    templates/<os>/recipe      fingerprint of the recipe that built it
    secrets/id_ed25519[.pub]   root/kxadmin login key, made once per machine
    secrets/kxadmin.password   kxadmin's sudo password, made once per machine (0600)
    hosts/<name>/              upper/ work/ root/ containerd/ supervisor.pid nspawn.log
    state.json                 the running lab: hosts, key path, sudo password (0600)
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kubexm.errors import LabError

LAB_ROOT = Path("/var/tmp/kubexm-lab")
BRIDGE = "kx0"
SUBNET_PREFIX = "10.77.0"
BRIDGE_ADDRESS = f"{SUBNET_PREFIX}.1"
PREFIX_LEN = 24
HOST_PREFIX = "kxnode"
SUDO_USER = "kxadmin"
CGROUP_GROUP = "kubexm-lab"
NSPAWN_RUNTIME_DIR = Path("/run/systemd/nspawn")
SUPPORTED_OS = ("bookworm", "trixie")
MAX_HOSTS = 50
STATE_VERSION = 1


def host_name(index: int) -> str:
    """Name of the ``index``-th host (1-based); also its hostname and netns name."""
    return f"{HOST_PREFIX}{index}"


def host_address(index: int) -> str:
    """IPv4 address of the ``index``-th host on the lab bridge: 10.77.0.(10+index)."""
    return f"{SUBNET_PREFIX}.{10 + index}"


def veth_name(index: int) -> str:
    """Root-namespace end of the host's veth pair (at most 15 characters, kernel limit)."""
    return f"kxv{index}"


def veth_of(name: str) -> str | None:
    """The veth of host ``name`` (``kxnode3`` → ``kxv3``); None for a name not made here."""
    index = name.removeprefix(HOST_PREFIX)
    return veth_name(int(index)) if name != index and index.isdigit() else None


@dataclass(frozen=True)
class Paths:
    """All lab paths below one root; tests point it at a temporary directory."""

    root: Path = LAB_ROOT

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def lock_file(self) -> Path:
        return self.root / "lock"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def private_key(self) -> Path:
        return self.secrets / "id_ed25519"

    @property
    def password_file(self) -> Path:
        return self.secrets / f"{SUDO_USER}.password"

    @property
    def hosts(self) -> Path:
        return self.root / "hosts"

    def host_dir(self, name: str) -> Path:
        return self.hosts / name

    def template_dir(self, os_name: str) -> Path:
        return self.root / "templates" / os_name

    def template_rootfs(self, os_name: str) -> Path:
        return self.template_dir(os_name) / "rootfs"


@dataclass(frozen=True)
class LabHost:
    """One lab host as tests and ``lab config`` see it."""

    name: str
    address: str
    port: int
    root_key_path: str
    sudo_user: str
    sudo_password: str = field(repr=False)


@dataclass
class LabState:
    """The running lab; saved as JSON (mode 0600, it holds the sudo password)."""

    os_name: str
    hosts: list[LabHost]
    created_bridge: bool = False
    mounted_nspawn_tmpfs: bool = False
    version: int = STATE_VERSION

    def host(self, name: str) -> LabHost:
        """The host called ``name``; raises LabError naming the known hosts when absent."""
        for entry in self.hosts:
            if entry.name == name:
                return entry
        known = ", ".join(h.name for h in self.hosts) or "none"
        raise LabError(f"no lab host named {name!r} (hosts: {known})", "run `kubexm lab status`")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LabState:
        """Parse a state file; raises LabError when it is not one this version wrote."""
        try:
            raw: dict[str, Any] = json.loads(text)
        except ValueError as error:
            raise LabError(
                f"lab state file is not JSON: {error}",
                "run `kubexm lab down` to clean up, then `kubexm lab up`",
            ) from error
        if not isinstance(raw, dict) or raw.get("version") != STATE_VERSION:
            raise LabError(
                "lab state file was written by another kubexm version",
                "run `kubexm lab down` to clean up, then `kubexm lab up`",
            )
        try:
            hosts = [LabHost(**h) for h in raw["hosts"]]
            return cls(
                os_name=str(raw["os_name"]),
                hosts=hosts,
                created_bridge=bool(raw.get("created_bridge", False)),
                mounted_nspawn_tmpfs=bool(raw.get("mounted_nspawn_tmpfs", False)),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise LabError(
                f"lab state file is unreadable: {error}",
                "run `kubexm lab down` to clean up, then `kubexm lab up`",
            ) from error


def save_state(paths: Paths, state: LabState) -> None:
    """Write the state file atomically with mode 0600."""
    write_private(paths.state_file, state.to_json())


def load_state(paths: Paths) -> LabState | None:
    """The saved state, or None when no lab is up; LabError when the file is corrupt."""
    try:
        text = paths.state_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return LabState.from_json(text)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only; temp file + rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


@contextmanager
def lab_lock(paths: Paths, timeout: float = 900) -> Iterator[None]:
    """Hold the lab's lock: one up/down/start/stop (or template build) at a time per machine.

    Several test sessions may share the machine; without it two builds would delete each
    other's scratch tree. LabError when another holder keeps it past ``timeout`` seconds.
    """
    paths.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(paths.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LabError(
                        f"another lab command held {paths.lock_file} for {timeout:g}s",
                        "wait for it to finish, or check for a hung `kubexm lab` process",
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)
