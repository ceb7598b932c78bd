"""The lab as a whole: ``up``, ``down``, ``status``, single-host stop/start, config skeleton.

Every function takes an optional ``Paths`` (default root ``/var/tmp/kubexm-lab``) and needs
root; ``check_prerequisites`` says what is missing before anything is touched.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from kubexm.errors import LabError
from kubexm.lab import cgroup, hosts, network
from kubexm.lab.layout import (
    BRIDGE,
    HOST_PREFIX,
    MAX_HOSTS,
    NSPAWN_RUNTIME_DIR,
    SUDO_USER,
    SUPPORTED_OS,
    LabHost,
    LabState,
    Paths,
    host_address,
    host_name,
    lab_lock,
    load_state,
    save_state,
    write_private,
)
from kubexm.lab.system import check_prerequisites, mounts, run
from kubexm.lab.template import ensure_template, template_is_current

log = logging.getLogger(__name__)

NSPAWN_TMPFS_SOURCE = "kubexm-lab-nspawn"
DEFAULT_OS = "bookworm"


@dataclass(frozen=True)
class UpResult:
    """What ``up`` did and how long its phases took (seconds)."""

    state: LabState
    template_seconds: float
    ready_seconds: float


@dataclass(frozen=True)
class HostStatus:
    name: str
    address: str
    running: bool
    ssh: bool


@dataclass(frozen=True)
class RunningLab:
    """A lab that is up, as tests use it: its hosts plus stop/start and a command runner."""

    hosts: list[LabHost]
    paths: Paths

    def host(self, name: str) -> LabHost:
        for host in self.hosts:
            if host.name == name:
                return host
        raise LabError(f"no lab host named {name!r}")

    def stop(self, name: str) -> None:
        stop_host(name, self.paths)

    def start(self, name: str) -> None:
        start_host(name, self.paths)

    def ssh(
        self,
        name: str,
        command: str,
        *,
        user: str = "root",
        stdin: str | None = None,
        check: bool = True,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` on host ``name`` over the system ssh with the lab key.

        LabError when ``check`` and it exits non-zero, or when it runs past ``timeout``.
        Secrets go in ``stdin``, never in ``command``.
        """
        argv = hosts.ssh_argv(self.host(name), [command], user=user)
        return run(argv, stdin=stdin, check=check, timeout=timeout)


def ensure_secrets(paths: Paths) -> str:
    """Make the lab key pair and kxadmin password once per machine; returns the password."""
    if not paths.private_key.exists():
        paths.secrets.mkdir(mode=0o700, parents=True, exist_ok=True)
        keygen = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kubexm-lab"]
        run([*keygen, "-f", str(paths.private_key)])
    if not paths.password_file.exists():
        write_private(paths.password_file, secrets.token_urlsafe(18) + "\n")
    return paths.password_file.read_text().strip()


def planned_hosts(paths: Paths, count: int, password: str) -> list[LabHost]:
    """The hosts a lab of ``count`` has: kxnode1.. at 10.77.0.11.., root key, kxadmin."""
    key = str(paths.private_key)
    return [
        LabHost(host_name(i), host_address(i), 22, key, SUDO_USER, password)
        for i in range(1, count + 1)
    ]


def _check_request(count: int, os_name: str, existing: LabState | None, paths: Paths) -> None:
    if not 1 <= count <= MAX_HOSTS:
        raise LabError(f"cannot make {count} lab hosts", f"choose between 1 and {MAX_HOSTS}")
    if os_name not in SUPPORTED_OS:
        raise LabError(
            f"unsupported lab OS {os_name!r}", f"choose one of {', '.join(SUPPORTED_OS)}"
        )
    if existing is None:
        return
    if existing.os_name != os_name or len(existing.hosts) != count:
        raise LabError(
            f"a lab of {len(existing.hosts)} {existing.os_name} hosts is already up",
            "run `kubexm lab down` first, or ask for the same size and OS",
        )
    if not template_is_current(paths, os_name):
        raise LabError(
            "the lab template changed while hosts run on it",
            "run `kubexm lab down`, then `kubexm lab up` again",
        )


def _ensure_nspawn_runtime() -> bool:
    """nspawn refuses to clean its propagate dir on a non-tmpfs /run: give it a tmpfs."""
    if any(point == str(NSPAWN_RUNTIME_DIR) for point, _ in mounts()):
        return False
    NSPAWN_RUNTIME_DIR.mkdir(parents=True, exist_ok=True)
    options = ["-t", "tmpfs", "-o", "mode=755,size=16m"]
    run(["mount", *options, NSPAWN_TMPFS_SOURCE, str(NSPAWN_RUNTIME_DIR)])
    return True


def up(count: int = 3, os_name: str = DEFAULT_OS, paths: Paths | None = None) -> UpResult:
    """Bring up ``count`` hosts and wait until each accepts root ssh login.

    Idempotent: with a lab of the same size and OS already up, stopped hosts are booted again.
    LabError (with a hint) when not root, a tool is missing, the template cannot be built, or a
    host does not get ready in time; what was made so far stays for ``down`` to remove.
    """
    paths = paths or Paths()
    check_prerequisites()
    with lab_lock(paths):
        return _up_locked(count, os_name, paths)


def _up_locked(count: int, os_name: str, paths: Paths) -> UpResult:
    existing = load_state(paths)
    _check_request(count, os_name, existing, paths)
    template = ensure_template(paths, os_name)
    password = ensure_secrets(paths)
    started = time.monotonic()
    state = existing or LabState(os_name, planned_hosts(paths, count, password))
    state.mounted_nspawn_tmpfs |= _ensure_nspawn_runtime()
    state.created_bridge |= network.ensure_bridge()
    save_state(paths, state)
    for index in range(1, count + 1):
        hosts.create(paths, index, count, template.rootfs, password)
        hosts.boot(paths, host_name(index))
    hosts.wait_ready(paths, state.hosts)
    ready = time.monotonic() - started
    log.info("lab: %d hosts ready in %.1f s", count, ready)
    return UpResult(state, template.build_seconds, ready)


def _state_or_error(paths: Paths) -> LabState:
    state = load_state(paths)
    if state is None:
        raise LabError("no lab is up", "run `kubexm lab up`")
    return state


def stop_host(name: str, paths: Paths | None = None) -> None:
    """Power off one host cleanly (its disk and address stay); LabError for unknown names."""
    paths = paths or Paths()
    with lab_lock(paths):
        _state_or_error(paths).host(name)
        hosts.stop(paths, name)


def start_host(name: str, paths: Paths | None = None, timeout: float = 60) -> None:
    """Boot one stopped host and wait for ssh; no-op when it runs. LabError on timeout."""
    paths = paths or Paths()
    with lab_lock(paths):
        host = _state_or_error(paths).host(name)
        hosts.boot(paths, name)
        hosts.wait_ready(paths, [host], timeout)


def status(paths: Paths | None = None) -> list[HostStatus]:
    """Each host's state; empty when no lab is up."""
    paths = paths or Paths()
    state = load_state(paths)
    if state is None:
        return []
    return [
        HostStatus(
            h.name,
            h.address,
            hosts.supervisor_pid(paths, h.name) is not None,
            hosts.port_open(h.address, h.port),
        )
        for h in state.hosts
    ]


def down(paths: Paths | None = None) -> float:
    """Remove every host, the bridge, the nspawn tmpfs and the state; returns the seconds taken.

    Keeps the template and the secrets for the next ``up``. Afterwards it checks that nothing
    is left (mounts, namespaces, links, cgroups, processes) and raises LabError listing what is.
    """
    paths = paths or Paths()
    check_prerequisites(missing=[])
    with lab_lock(paths):
        return _down_locked(paths)


def _down_locked(paths: Paths) -> float:
    started = time.monotonic()
    state = load_state(paths)
    names = {h.name for h in state.hosts} if state else set()
    if paths.hosts.is_dir():
        names |= {p.name for p in paths.hosts.iterdir() if p.name.startswith(HOST_PREFIX)}
    problems: list[str] = []
    for name in sorted(names):
        problems += hosts.destroy(paths, name)
    if state is None or state.created_bridge:
        network.delete_bridge()
    _release_shared_mounts()
    paths.state_file.unlink(missing_ok=True)
    if paths.hosts.is_dir() and not any(paths.hosts.iterdir()):
        paths.hosts.rmdir()
    left = problems + leftovers(paths)
    if left:
        raise LabError(f"lab down left {', '.join(left)}", "remove them by hand, then retry")
    return time.monotonic() - started


def _release_shared_mounts() -> None:
    """Unmount the nspawn tmpfs we made, and ``ip netns``'s /run/netns once it is empty."""
    for point, source in mounts():
        if point == str(NSPAWN_RUNTIME_DIR) and source == NSPAWN_TMPFS_SOURCE:
            run(["umount", point])
    netns_dir = network.NETNS_DIR
    empty = netns_dir.is_dir() and not any(netns_dir.iterdir())
    if empty and any(point == str(netns_dir) for point, _ in mounts()):
        run(["umount", str(netns_dir)], check=False)


def leftovers(paths: Paths | None = None) -> list[str]:
    """What of a lab still exists on the machine (empty when the machine is clean)."""
    paths = paths or Paths()
    found = [
        f"mount {point}"
        for point, source in mounts()
        if point.startswith(str(paths.hosts)) or source == NSPAWN_TMPFS_SOURCE
    ]
    if network.NETNS_DIR.is_dir():
        found += [f"netns {p.name}" for p in network.NETNS_DIR.glob(f"{HOST_PREFIX}*")]
    links = Path("/sys/class/net")
    found += [f"link {p.name}" for p in links.glob("kxv*")]
    if network.bridge_exists(BRIDGE):
        found.append(f"bridge {BRIDGE}")
    found += [f"cgroup {d}" for d in cgroup.leftover_groups()]
    found += [f"process {pid}" for pid in lab_processes()]
    return found


def lab_processes() -> list[int]:
    """PIDs of live (non-zombie) supervisors and nspawn processes of lab hosts."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        ours = b"kubexm.lab.supervisor" in cmdline or f"--machine={HOST_PREFIX}".encode() in cmdline
        if ours and stat.rsplit(")", 1)[-1].split()[0] != "Z":
            pids.append(int(proc.name))
    return sorted(pids)


def take_lease(paths: Paths | None = None, pid: int | None = None) -> Path:
    """Record that process ``pid`` (default: this one) uses the lab.

    Test sessions sharing a machine take one before ``up`` and call ``down`` only when
    ``lease_holders`` names no other live process, so one session never pulls the hosts from
    under another. Leases of dead processes are ignored.
    """
    paths = paths or Paths()
    lease = paths.root / "leases" / str(os.getpid() if pid is None else pid)
    lease.parent.mkdir(parents=True, exist_ok=True)
    lease.touch()
    return lease


def lease_holders(paths: Paths | None = None) -> list[int]:
    """PIDs of live processes holding a lease on the lab (stale leases are deleted)."""
    leases = (paths or Paths()).root / "leases"
    holders = []
    for lease in sorted(leases.iterdir()) if leases.is_dir() else []:
        if lease.name.isdigit() and _alive(int(lease.name)):
            holders.append(int(lease.name))
        else:
            lease.unlink(missing_ok=True)
    return holders


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
