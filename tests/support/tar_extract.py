"""Unpack a test archive with the ``data`` extraction filter where this Python has it.

Debian 12's Python 3.11.2 predates the filters (added in 3.11.4); there the archive, which the
test itself built from known files, is unpacked as it is.
"""

from __future__ import annotations

import tarfile
from pathlib import Path


def extract_all(archive: tarfile.TarFile, dest: Path) -> None:
    if hasattr(tarfile, "data_filter"):
        archive.extractall(dest, filter="data")
    else:
        archive.extractall(dest)
