"""The connection contract every transport implements (SSH, local, simulated).

It mirrors asyncio's subprocess API: ``await conn.run(cmd)`` returns a ``Result`` with
``exit_status``, ``stdout`` and ``stderr``; with ``check=True`` a non-zero exit raises
``CommandError`` carrying the host, the command and the output, secrets redacted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Result:
    """What one command returned."""

    exit_status: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


@runtime_checkable
class Connection(Protocol):
    """One host's connection; one per host, reused for many commands and transfers.

    ``host`` is the inventory name used in messages and logs.
    """

    host: str

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
        """Run ``cmd`` through a POSIX shell on the host.

        ``sudo`` runs it as root (no-op when already root; a sudo password is fed on stdin,
        never in argv). On timeout the remote process is killed and ``CommandTimeout`` is
        raised. With ``check`` a non-zero exit raises ``CommandError``.
        """
        ...

    async def put(
        self,
        src: Path | bytes,
        remote: str,
        *,
        mode: int = 0o644,
        owner: str | None = None,
        sudo: bool = False,
    ) -> bool:
        """Copy a local file or bytes to ``remote`` atomically (temp name, then rename).

        Returns False and transfers nothing when the remote file already has the same
        sha256, mode and owner. Raises ``TransferError`` on failure.
        """
        ...

    async def get(self, remote: str, local: Path, *, sudo: bool = False) -> None:
        """Copy ``remote`` to the local path ``local``. Raises ``TransferError``."""
        ...

    async def close(self) -> None:
        """Close the connection; safe to call twice."""
        ...
