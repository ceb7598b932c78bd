"""The local transport: the same ``Connection`` API for the machine kubexm runs on.

Commands run through ``/bin/sh`` as asyncio subprocesses in their own session, so a timeout
kills the whole process group. Files are written and read with ordinary file I/O; ``put`` and
``get`` share their logic (and their checks) with the SSH transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pwd
import shutil
import signal
import time
from collections.abc import Mapping
from pathlib import Path

from kubexm.connector import transfer
from kubexm.connector.base import Result
from kubexm.connector.commands import BACKSTOP_GRACE, SudoMode, build_command, build_stdin, finish
from kubexm.connector.settings import LocalSettings
from kubexm.connector.sudo import probe_sudo, slow_sudo_warning
from kubexm.errors import CommandTimeout
from kubexm.util.redact import redact

log = logging.getLogger("kubexm.connector")

SUDO_PROBE_TIMEOUT = 60.0
_COPY_CHUNK = 4 << 20


class LocalConnection:
    """A ``Connection`` to this machine. ``diagnostics`` collects warnings (e.g. slow sudo)."""

    def __init__(self, settings: LocalSettings | None = None) -> None:
        self._settings = settings or LocalSettings()
        self.host = self._settings.host_name
        self.user = pwd.getpwuid(os.geteuid()).pw_name
        self.is_root = os.geteuid() == 0
        self.diagnostics: list[str] = []
        self._secrets = self._settings.secrets()
        self._sudo: SudoMode | None = None
        self._sudo_lock = asyncio.Lock()

    async def run(
        self,
        cmd: str,
        *,
        sudo: bool = False,
        check: bool = True,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        stdin: str | bytes | None = None,
    ) -> Result:
        """See ``Connection.run``. Sudo is probed on first use (``ConnectError``/``AuthError``
        when it cannot work); ``CommandTimeout`` after killing the process group."""
        mode = await self._sudo_mode() if sudo and not self.is_root else SudoMode.NONE
        command = build_command(cmd, sudo=mode, env=env, timeout=timeout)
        data = build_stdin(mode, self._settings.sudo_password, stdin)
        log.debug("[%s] run: %s", self.host, redact(cmd, self._secrets))
        start = time.monotonic()
        result = await self._exec(command, data, timeout, cmd)
        elapsed = time.monotonic() - start
        return finish(
            self.host,
            cmd,
            result,
            check=check,
            secrets=self._secrets,
            elapsed=elapsed,
            timeout=timeout,
        )

    async def _exec(
        self, command: str, data: bytes | None, timeout: float | None, shown: str
    ) -> Result:
        proc = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        backstop = None if timeout is None else timeout + BACKSTOP_GRACE
        try:
            out, err = await asyncio.wait_for(proc.communicate(data), backstop)
        except TimeoutError as exc:
            # start_new_session made the shell a group leader: its pid is the group id.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
            raise CommandTimeout(self.host, redact(shown, self._secrets), timeout or 0) from exc
        status = proc.returncode if proc.returncode is not None else 255
        return Result(status, out.decode(errors="replace"), err.decode(errors="replace"))

    async def _raw(self, command: str, data: bytes | None) -> Result:
        return await self._exec(command, data, SUDO_PROBE_TIMEOUT, command)

    async def _sudo_mode(self) -> SudoMode:
        async with self._sudo_lock:
            if self._sudo is None:
                password = self._settings.sudo_password
                mode, seconds = await probe_sudo(self._raw, self.host, self.user, password)
                warning = slow_sudo_warning(self.host, seconds)
                if warning:
                    log.warning("%s", warning)
                    self.diagnostics.append(warning)
                self._sudo = mode
            return self._sudo

    async def put(
        self,
        src: Path | bytes,
        remote: str,
        *,
        mode: int = 0o644,
        owner: str | None = None,
        sudo: bool = False,
    ) -> bool:
        """See ``Connection.put``. Raises ``TransferError``."""
        return await transfer.put(self, src, remote, mode=mode, owner=owner, sudo=sudo)

    async def get(self, remote: str, local: Path, *, sudo: bool = False) -> None:
        """See ``Connection.get``. Raises ``TransferError``."""
        await transfer.get(self, remote, local, sudo=sudo)

    async def upload_file(self, src: Path | bytes, path: str) -> None:
        """Write ``src`` to ``path``, created 0600 and exclusive. Raises ``OSError``."""
        await asyncio.to_thread(_write_private, src, Path(path))

    async def download_file(self, path: str, local: Path) -> None:
        """Copy ``path`` to ``local``. Raises ``OSError``."""
        await asyncio.to_thread(shutil.copyfile, path, local)

    async def exists(self, path: str) -> bool:
        return os.path.lexists(path)

    async def make_dirs(self, path: str) -> None:
        """``mkdir -p``. Raises ``OSError``."""
        await asyncio.to_thread(os.makedirs, path, exist_ok=True)

    async def place(self, tmp: str, path: str, mode: int) -> None:
        """chmod ``tmp`` and rename it over ``path`` atomically. Raises ``OSError``."""
        os.chmod(tmp, mode)
        os.replace(tmp, path)

    async def close(self) -> None:
        """Nothing to release; present for the ``Connection`` contract."""


def _write_private(src: Path | bytes, dest: Path) -> None:
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        if isinstance(src, bytes):
            out.write(src)
            return
        with src.open("rb") as source:
            shutil.copyfileobj(source, out, _COPY_CHUNK)
