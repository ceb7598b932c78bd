"""A throwaway image registry on 127.0.0.1 for the image-push tests (marker ``registry``).

It runs Debian's ``docker-registry`` (distribution 2.8, ``docker-registry serve config.yml``)
over plain HTTP on a free port with its storage in a temporary folder; with ``user`` and
``password`` it asks for basic auth from an htpasswd file (a bcrypt line written with the
``bcrypt`` package, which asyncssh already needs). Needs no root; ``stop()`` ends it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt

REGISTRY = "docker-registry"
USER = "kxpush"
PASSWORD = "kx-Reg-pw-93"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def available() -> str | None:
    """Why the registry tests cannot run here, or None when they can."""
    if shutil.which(REGISTRY) is None:
        return "needs docker-registry (Debian: apt-get install docker-registry)"
    if shutil.which("skopeo") is None:
        return "needs skopeo (Debian: apt-get install skopeo)"
    return None


@dataclass
class LoopbackRegistry:
    """One running registry; ``host`` is its ``127.0.0.1:<port>``."""

    workdir: Path
    user: str = ""
    password: str = ""
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> LoopbackRegistry:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "config.yml"
        config.write_text(self._config(), encoding="utf-8")
        log = (self.workdir / "registry.log").open("wb")
        self.process = subprocess.Popen(
            [REGISTRY, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self._wait_ready(timeout)
        return self

    def _config(self) -> str:
        lines = [
            "version: 0.1",
            "log: {level: warn}",
            f"storage: {{filesystem: {{rootdirectory: {self.workdir / 'data'}}}}}",
            f"http: {{addr: '{self.host}'}}",
        ]
        if self.user:
            hashed = bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(rounds=5)).decode()
            htpasswd = self.workdir / "htpasswd"
            htpasswd.write_text(f"{self.user}:{hashed}\n", encoding="utf-8")
            lines.append(f"auth: {{htpasswd: {{realm: kubexm-test, path: {htpasswd}}}}}")
        return "\n".join(lines) + "\n"

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {self.log()}")
            try:
                with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1):
                    return
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code == 401:  # up, and asking for credentials
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"docker-registry not ready after {timeout}s: {self.log()}")

    def log(self) -> str:
        path = self.workdir / "registry.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
