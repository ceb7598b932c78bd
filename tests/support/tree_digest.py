"""One digest of a whole folder tree, to show that a command left it exactly as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path


def tree_digest(root: Path) -> str:
    """Every path under ``root`` with its mode, and every file's content, in one sha256
    (the digest of nothing when ``root`` does not exist)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")) if root.exists() else ():
        stat = path.lstat()
        digest.update(f"{path.relative_to(root)} {stat.st_mode:o}\n".encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()
