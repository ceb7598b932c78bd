"""One lab host's life: create its root and network, boot, wait for ssh, stop, destroy."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from pathlib import Path

from kubexm.errors import LabError
from kubexm.lab import cgroup, network
from kubexm.lab.layout import (
    SUDO_USER,
    LabHost,
    Paths,
    host_address,
    host_name,
    veth_name,
    veth_of,
)
from kubexm.lab.supervisor import supervisor_argv
from kubexm.lab.system import is_mount_point, remove_tree, run

log = logging.getLogger(__name__)

SSH_OPTIONS = (
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "ConnectTimeout=3",
)


def ssh_argv(host: LabHost, command: list[str] | None = None, user: str = "root") -> list[str]:
    """An ``ssh`` command line that logs into ``host`` with the lab key.

    Host keys are fresh on every lab, so they are neither checked nor recorded.
    """
    argv = ["ssh", "-i", host.root_key_path, *SSH_OPTIONS, "-p", str(host.port)]
    return [*argv, f"{user}@{host.address}", *(command or [])]


def hosts_file(count: int) -> str:
    """/etc/hosts for every host: localhost plus all lab hosts by name."""
    lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"]
    lines += [f"{host_address(i)} {host_name(i)}" for i in range(1, count + 1)]
    return "\n".join(lines) + "\n"


def create(paths: Paths, index: int, count: int, template: Path, password: str) -> None:
    """Give host ``index`` its network namespace and overlay root with its own identity.

    Idempotent: an existing namespace or mounted root is kept (a stopped host keeps its disk).
    LabError when a mount or an ``ip`` command fails.
    """
    name = host_name(index)
    network.ensure_netns(name, veth_name(index), host_address(index))
    top = paths.host_dir(name)
    for sub in ("upper", "work", "root", "containerd"):
        (top / sub).mkdir(parents=True, exist_ok=True)
    root = top / "root"
    if is_mount_point(root):
        return
    options = f"lowerdir={template},upperdir={top / 'upper'},workdir={top / 'work'}"
    run(["mount", "-t", "overlay", f"kubexm-lab-{name}", "-o", options, str(root)])
    _write_identity(paths, root, name, count, password)


def _write_identity(paths: Paths, root: Path, name: str, count: int, password: str) -> None:
    (root / "etc/hostname").write_text(f"{name}\n")
    (root / "etc/hosts").write_text(hosts_file(count))
    public_key = paths.private_key.with_suffix(".pub").read_text()
    _install_key(root / "root", public_key, 0, 0)
    uid, gid = _user_ids(root, SUDO_USER)
    _install_key(root / "home" / SUDO_USER, public_key, uid, gid)
    set_password(root, SUDO_USER, password)


def set_password(root: Path, user: str, password: str) -> None:
    """Set ``user``'s password in the host's /etc/shadow as a SHA-512 crypt hash.

    The hash is made by ``openssl passwd`` with the password on stdin, never in argv. The
    host's own PAM is not used: the machine's chpasswd cannot load a newer release's modules.
    LabError when openssl fails or the user is not in the shadow file.
    """
    hashed = run(["openssl", "passwd", "-6", "-stdin"], stdin=password + "\n").stdout.strip()
    shadow = root / "etc/shadow"
    shadow.write_text(shadow_with_password(shadow.read_text(), user, hashed))


def shadow_with_password(text: str, user: str, hashed: str) -> str:
    """``text`` (an /etc/shadow) with ``user``'s password field set to ``hashed``."""
    lines = text.splitlines()
    for number, line in enumerate(lines):
        fields = line.split(":")
        if fields[0] == user and len(fields) > 1:
            fields[1] = hashed
            lines[number] = ":".join(fields)
            return "\n".join(lines) + "\n"
    raise LabError(f"the lab template has no user {user}", "delete the template to rebuild it")


def _install_key(home: Path, public_key: str, uid: int, gid: int) -> None:
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    keys = ssh_dir / "authorized_keys"
    keys.write_text(public_key)
    keys.chmod(0o600)
    for path in (ssh_dir, keys):
        os.chown(path, uid, gid)


def _user_ids(root: Path, user: str) -> tuple[int, int]:
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise LabError(f"the lab template has no user {user}", "delete the template to rebuild it")


def supervisor_pid(paths: Paths, name: str) -> int | None:
    """PID of the host's supervisor when it is alive, else None (stale pid files ignored)."""
    try:
        pid = int((paths.host_dir(name) / "supervisor.pid").read_text())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _is_supervisor(pid, name) else None


def _is_supervisor(pid: int, name: str) -> bool:
    """Alive (not a zombie) and really our supervisor for ``name``: PIDs get reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state != "Z" and b"kubexm.lab.supervisor" in cmdline and name.encode() in cmdline


def boot(paths: Paths, name: str) -> None:
    """Start the host's supervisor unless it runs already; LabError when it does not start."""
    if supervisor_pid(paths, name) is not None:
        return
    top = paths.host_dir(name)
    (top / "supervisor.pid").unlink(missing_ok=True)
    run(supervisor_argv(name, top), timeout=30)
    deadline = time.monotonic() + 10
    while supervisor_pid(paths, name) is None:
        if time.monotonic() > deadline:
            raise LabError(f"{name}: the host supervisor did not start", f"read {top}/nspawn.log")
        time.sleep(0.05)


def port_open(address: str, port: int = 22, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def ssh_ready(host: LabHost) -> bool:
    """True when sshd answers and root key login runs a command."""
    if not port_open(host.address, host.port):
        return False
    return run(ssh_argv(host, ["true"]), check=False, timeout=15).returncode == 0


def wait_ready(paths: Paths, hosts: list[LabHost], timeout: float = 120) -> None:
    """Wait until every host accepts root key login over ssh.

    LabError naming the hosts that are not ready after ``timeout`` seconds, or at once when a
    host's supervisor died (its nspawn log says why).
    """
    pending = list(hosts)
    deadline = time.monotonic() + timeout
    while pending:
        pending = [h for h in pending if not ssh_ready(h)]
        dead = [h.name for h in pending if supervisor_pid(paths, h.name) is None]
        if dead:
            raise LabError(f"lab host(s) {', '.join(dead)} stopped while booting", _log_hint(paths))
        if pending and time.monotonic() > deadline:
            names = ", ".join(h.name for h in pending)
            raise LabError(f"no ssh on {names} after {timeout:g}s", _log_hint(paths))
        if pending:
            time.sleep(0.2)


def _log_hint(paths: Paths) -> str:
    return f"read {paths.hosts}/<host>/nspawn.log"


def stop(paths: Paths, name: str, timeout: float = 20) -> None:
    """Power the host off cleanly (systemd shutdown); hard-kill it after ``timeout`` seconds.

    Its disk, namespace and cgroups stay, so ``boot`` brings it back with its state.
    """
    pid = supervisor_pid(paths, name)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while supervisor_pid(paths, name) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
    dirs = recorded_cgroups(paths, name)
    if supervisor_pid(paths, name) is not None or cgroup.tasks(dirs):
        log.warning("lab: %s did not power off in %gs; killing it", name, timeout)
        cgroup.kill_tasks(dirs)


def recorded_cgroups(paths: Paths, name: str) -> list[Path]:
    try:
        text = (paths.host_dir(name) / "cgroups.list").read_text()
    except FileNotFoundError:
        return []
    return [Path(line) for line in text.splitlines() if line]


def destroy(paths: Paths, name: str) -> list[str]:
    """Stop the host and remove all of it; returns what could not be removed (empty = clean)."""
    stop(paths, name)
    problems = [f"cgroup {d}" for d in cgroup.remove(recorded_cgroups(paths, name))]
    top = paths.host_dir(name)
    try:
        remove_tree(top)
    except LabError as error:
        problems.append(error.message)
    network.delete_netns(name, veth_of(name))
    if top.exists():
        problems.append(f"directory {top}")
    return problems
