"""One host's supervisor: a detached process that runs ``systemd-nspawn --boot`` for it.

Run as ``python -m kubexm.lab.supervisor <name> <host-dir>``. It detaches (double fork, own
session, parent is PID 1 rather than the caller), writes its PID to ``<host-dir>/supervisor.pid``,
moves itself into the host's own cgroups, then runs nspawn and boots it again whenever the host
reboots (nspawn exits 133). SIGTERM is forwarded to nspawn, which makes systemd in the host power
off cleanly; the supervisor then exits. Output goes to ``<host-dir>/nspawn.log``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from kubexm.lab import cgroup

REBOOT_EXIT = 133

# --network-namespace-path drops CAP_NET_ADMIN; keepalived (VIP), iptables and runc need it.
CAPABILITIES = "CAP_NET_ADMIN,CAP_NET_RAW,CAP_SYS_ADMIN,CAP_IPC_LOCK"

# "network" makes only /proc/sys/net writable (per netns); the rest of /proc/sys and /sys stay
# read-only, so a host cannot change the machine's kernel settings.
NSPAWN_ENV = {"SYSTEMD_NSPAWN_API_VFS_WRITABLE": "network"}


def nspawn_argv(name: str, host_dir: Path) -> list[str]:
    """The systemd-nspawn command line that boots host ``name`` from ``host_dir``.

    ``--register=no --keep-unit``: the machine has no systemd as PID 1 to talk to over D-Bus.
    ``@keyring``: nspawn's seccomp filter otherwise makes runc's session keyring fail (EPERM).
    ``/var/lib/containerd`` is a plain directory: overlayfs cannot use an overlayfs upperdir,
    so containerd's overlay snapshotter would fail on the overlay root.
    """
    return [
        "systemd-nspawn",
        "--boot",
        f"--directory={host_dir / 'root'}",
        f"--machine={name}",
        f"--hostname={name}",
        f"--network-namespace-path=/run/netns/{name}",
        "--register=no",
        "--keep-unit",
        "--console=passive",
        f"--capability={CAPABILITIES}",
        "--system-call-filter=@keyring",
        f"--bind={host_dir / 'containerd'}:/var/lib/containerd",
    ]


def supervisor_argv(name: str, host_dir: Path) -> list[str]:
    """How the lab starts a host's supervisor (with the running interpreter)."""
    return [sys.executable, "-m", "kubexm.lab.supervisor", name, str(host_dir)]


class _Supervisor:
    def __init__(self, name: str, host_dir: Path) -> None:
        self.name = name
        self.host_dir = host_dir
        self.stopping = False
        self.child: subprocess.Popen[bytes] | None = None

    def on_term(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)

    def boot_once(self) -> int:
        env = {**os.environ, **NSPAWN_ENV}
        self.child = subprocess.Popen(
            nspawn_argv(self.name, self.host_dir), env=env, stdin=subprocess.DEVNULL
        )
        (self.host_dir / "nspawn.pid").write_text(f"{self.child.pid}\n")
        return self.child.wait()

    def loop(self) -> int:
        while True:
            code = self.boot_once()
            print(f"== nspawn exited with {code} at {time.strftime('%H:%M:%S')}", flush=True)
            if self.stopping or code != REBOOT_EXIT:
                return code
            print("== host rebooted, booting it again", flush=True)


def _detach(pid_file: Path, log_file: Path) -> None:
    """Double fork into a new session; the grandchild writes its PID and carries on."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    log_fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null_fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null_fd, 0)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    pid_file.write_text(f"{os.getpid()}\n")


def main(argv: list[str]) -> int:
    """Entry point; returns nspawn's last exit code (the process is detached by then)."""
    name, host_dir = argv[0], Path(argv[1])
    _detach(host_dir / "supervisor.pid", host_dir / "nspawn.log")
    supervisor = _Supervisor(name, host_dir)
    signal.signal(signal.SIGTERM, supervisor.on_term)
    dirs = cgroup.enter(name)
    (host_dir / "cgroups.list").write_text("".join(f"{d}\n" for d in dirs))
    try:
        return supervisor.loop()
    finally:
        cgroup.leave(dirs)
        (host_dir / "supervisor.pid").unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
