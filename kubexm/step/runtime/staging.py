"""Release files and image archives wait on the host under one staging folder before use.

Shared by the runtime steps: an upload is skipped when the staged file already has the
local file's sha256, so a second run transfers nothing.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from kubexm.runner.files import get_sha256
from kubexm.runner.host import Host, OpResult
from kubexm.util.hashing import sha256_file
from kubexm.util.shell import quote

STAGING_DIR = "/var/lib/kubexm/artifacts"


def staged_path(local: Path) -> str:
    """Where ``local`` is staged on a host (by its file name)."""
    return posixpath.join(STAGING_DIR, local.name)


async def ensure_staged(host: Host, local: Path, *, mode: int = 0o644) -> OpResult:
    """The staged copy of ``local`` on ``host`` has the same sha256 as ``local``.

    Raises ``TransferError`` when the upload fails and ``OSError`` when ``local`` cannot be
    read (the task checks it exists while planning).
    """
    remote = staged_path(local)
    if await get_sha256(host, remote) == sha256_file(local):
        return OpResult.unchanged(f"{remote} up to date")

    async def put() -> None:
        await host.run(f"mkdir -p -- {quote(STAGING_DIR)}")
        await host.put(local, remote, mode=mode)

    return await host.change(f"upload {remote}", put)
