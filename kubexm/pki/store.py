"""Files of the local PKI directory: private modes and atomic replacement.

A reader never sees a half-written key or certificate: content goes to a temporary file in the
same directory, is flushed to disk, then renamed over the target.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from kubexm.common import modes
from kubexm.errors import PKIError

DIR_MODE = modes.SECRET_DIR
KEY_MODE = modes.SECRET_FILE
CERT_MODE = modes.FILE


def ensure_dir(path: Path) -> None:
    """Create ``path`` and missing parents with mode 0700; tighten an existing one.

    Raises ``PKIError`` when the directory cannot be created.
    """
    # pathlib creates missing parents with default permissions, so create each level here.
    missing = [p for p in (path, *path.parents) if not p.exists()]
    try:
        for level in reversed(missing):
            level.mkdir(mode=DIR_MODE, exist_ok=True)
        path.chmod(DIR_MODE)
    except OSError as exc:
        raise PKIError(
            f"cannot create directory {path}: {exc.strerror}",
            "check the permissions of the work directory",
        ) from exc


def read_bytes(path: Path) -> bytes | None:
    """Return the content of ``path``, or None when it does not exist.

    Raises ``PKIError`` when it exists but cannot be read.
    """
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PKIError(
            f"cannot read {path}: {exc.strerror}", "check the file's owner and permissions"
        ) from exc


def write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` with ``data`` at ``mode`` in one rename; parents are created 0700.

    Raises ``PKIError`` when writing fails; the target is then left as it was.
    """
    ensure_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # the umask may have removed bits from the requested mode
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise PKIError(
            f"cannot write {path}: {exc.strerror}", "check free space and permissions"
        ) from exc
