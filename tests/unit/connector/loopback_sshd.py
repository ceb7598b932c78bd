"""A throwaway OpenSSH server on 127.0.0.1 for connector tests and the fan-out benchmark.

It runs ``/usr/sbin/sshd -D`` with its own config, host key and authorized keys, and creates
two test users for the run: ``kxtest`` (sudo with a password) and ``kxnopw`` (sudo NOPASSWD).
Needs root; everything it creates is removed by ``stop()``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = Path("/usr/sbin/sshd")
SUDO_USER = "kxtest"
NOPASSWD_USER = "kxnopw"
PASSWORD = "kx-Test-pw-41"
PASSPHRASE = "kx-phrase-7"
SUDOERS = Path("/etc/sudoers.d")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def available() -> str | None:
    """Why the loopback sshd cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root"
    if not SSHD.exists():
        return "needs openssh-server (/usr/sbin/sshd)"
    if shutil.which("ssh-keygen") is None:
        return "needs ssh-keygen"
    return None


def _keygen(path: Path, passphrase: str = "") -> None:
    # An encrypted key is written as PKCS#8: asyncssh needs the optional bcrypt package to
    # decrypt OpenSSH-format keys, PKCS#8 only needs cryptography.
    fmt = ["-m", "PKCS8", "-t", "ecdsa"] if passphrase else ["-t", "ed25519"]
    subprocess.run(["ssh-keygen", "-q", *fmt, "-N", passphrase, "-f", str(path)], check=True)


@dataclass
class LoopbackSSHD:
    """One running sshd; ``client_key`` logs into root and both test users."""

    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    users: list[str] = field(default_factory=list)

    @property
    def client_key(self) -> Path:
        return self.workdir / "client_key"

    @property
    def encrypted_key(self) -> Path:
        return self.workdir / "client_key_enc"

    @property
    def keys_dir(self) -> Path:
        return Path(f"/run/kubexm-test-sshd-{self.port}")

    @property
    def host_key(self) -> Path:
        return self.workdir / "host_key"

    def start(self) -> LoopbackSSHD:
        self.workdir.mkdir(parents=True, exist_ok=True)
        _keygen(self.host_key)
        _keygen(self.client_key)
        _keygen(self.encrypted_key, PASSPHRASE)
        self._create_users()
        config = self._write_config()
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        log = self.workdir / "sshd.log"
        cmd = [str(SSHD), "-D", "-f", str(config), "-E", str(log)]
        self.process = subprocess.Popen(cmd)
        self._wait_listening()
        return self

    def _write_config(self) -> Path:
        # sshd reads authorized keys as the user, and pytest's temp dirs are private to root.
        keys = self.keys_dir
        keys.mkdir(mode=0o755, exist_ok=True)
        public = (
            self.client_key.with_suffix(".pub").read_text()
            + Path(f"{self.encrypted_key}.pub").read_text()
        )
        for user in ["root", *self.users]:
            (keys / user).write_text(public)
        config = self.workdir / "sshd_config"
        config.write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self.host_key}\n"
            f"PidFile {self.workdir / 'sshd.pid'}\nAuthorizedKeysFile {keys}/%u\n"
            "StrictModes no\nPermitRootLogin yes\nPasswordAuthentication yes\n"
            "KbdInteractiveAuthentication no\nUsePAM yes\nMaxSessions 20\n"
            "AllowTcpForwarding yes\nSubsystem sftp internal-sftp\nLogLevel VERBOSE\n"
        )
        return config

    def _create_users(self) -> None:
        SUDOERS.mkdir(mode=0o750, exist_ok=True)
        for user, rule in [(SUDO_USER, "ALL"), (NOPASSWD_USER, "NOPASSWD: ALL")]:
            subprocess.run(["userdel", "-f", "-r", user], capture_output=True, check=False)
            subprocess.run(["useradd", "-m", "-s", "/bin/bash", user], check=True)
            subprocess.run(["chpasswd"], input=f"{user}:{PASSWORD}\n".encode(), check=True)
            drop_in = SUDOERS / f"kubexm-test-{user}"
            drop_in.write_text(f"{user} ALL=(ALL) {rule}\n")
            drop_in.chmod(0o440)
            self.users.append(user)

    def _wait_listening(self, limit: float = 10.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"sshd did not listen on {self.port}; see {self.workdir}/sshd.log")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        for user in self.users:
            subprocess.run(["userdel", "-f", "-r", user], capture_output=True, check=False)
            (SUDOERS / f"kubexm-test-{user}").unlink(missing_ok=True)
        self.users = []
        shutil.rmtree(self.keys_dir, ignore_errors=True)
