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
from pathlib import Path

from kubexm.connector.base import Result
from kubexm.connector.commands import BACKSTOP_GRACE
from kubexm.connector.settings import LocalSettings
from kubexm.connector.shell import ShellConnection
from kubexm.errors import CommandTimeout
from kubexm.util.redact import redact

log = logging.getLogger("kubexm.connector")

_COPY_CHUNK = 4 << 20


class LocalConnection(ShellConnection):
    """A ``Connection`` to this machine. ``diagnostics`` collects warnings (e.g. slow sudo)."""

    def __init__(self, settings: LocalSettings | None = None) -> None:
        self._settings = settings or LocalSettings()
        super().__init__(
            self._settings.host_name,
            pwd.getpwuid(os.geteuid()).pw_name,
            is_root=os.geteuid() == 0,
            sudo_password=self._settings.sudo_password,
            secrets=self._settings.secrets(),
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
