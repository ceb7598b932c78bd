"""What the SSH and local transports share: running a command line with sudo, and put/get.

A transport supplies ``_exec`` (run a finished ``/bin/sh`` command line) and the file
primitives ``transfer`` needs; this base builds the command line (sudo, env, timeout), probes
sudo once per connection, feeds the sudo password on stdin, logs the redacted command and turns
the outcome into a ``Result`` or a ``CommandError``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path

from kubexm.connector import transfer
from kubexm.connector.base import Result
from kubexm.connector.commands import SudoMode, build_command, build_stdin, finish
from kubexm.connector.sudo import probe_sudo, slow_sudo_warning
from kubexm.util.redact import redact

log = logging.getLogger("kubexm.connector")

SUDO_PROBE_TIMEOUT = 60.0


class ShellConnection(ABC):
    """Base of the transports; ``diagnostics`` collects warnings for the caller (slow sudo)."""

    def __init__(
        self, host: str, user: str, *, is_root: bool, sudo_password: str | None,
        secrets: tuple[str, ...],
    ) -> None:  # fmt: skip
        self.host = host
        self.user = user
        self.is_root = is_root
        self.diagnostics: list[str] = []
        self._sudo_password = sudo_password
        self._secrets = secrets
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
        when it cannot work); ``CommandTimeout`` once the host killed the command, and the
        transport's own error (e.g. ``ConnectError`` for a lost connection) otherwise."""
        mode = await self._sudo_mode() if sudo and not self.is_root else SudoMode.NONE
        command = build_command(cmd, sudo=mode, env=env, timeout=timeout)
        data = build_stdin(mode, self._sudo_password, stdin)
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

    @abstractmethod
    async def _exec(
        self, command: str, data: bytes | None, timeout: float | None, shown: str
    ) -> Result:
        """Run a finished command line; ``shown`` is what error messages may show."""

    @abstractmethod
    async def upload_file(self, src: Path | bytes, path: str) -> None:
        """Write ``src`` to ``path``, created 0600 and exclusive."""

    @abstractmethod
    async def download_file(self, path: str, local: Path) -> None:
        """Copy ``path`` to the local file ``local``."""

    @abstractmethod
    async def exists(self, path: str) -> bool:
        """True when ``path`` exists on the host (as the login user)."""

    @abstractmethod
    async def make_dirs(self, path: str) -> None:
        """Create ``path`` and its parents (as the login user)."""

    @abstractmethod
    async def place(self, tmp: str, path: str, mode: int) -> None:
        """Set ``mode`` on ``tmp`` and rename it over ``path``."""

    async def _raw(self, command: str, data: bytes | None) -> Result:
        return await self._exec(command, data, SUDO_PROBE_TIMEOUT, command)

    async def _sudo_mode(self) -> SudoMode:
        async with self._sudo_lock:
            if self._sudo is None:
                password = self._sudo_password
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
