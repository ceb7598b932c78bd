from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kubexm.util import hashing
from kubexm.util.hashing import sha256_bytes, sha256_file, sha256_text

EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_sha256_bytes_of_empty_input_is_the_known_digest() -> None:
    assert sha256_bytes(b"") == EMPTY


def test_sha256_text_hashes_utf8() -> None:
    assert sha256_text("é") == hashlib.sha256("é".encode()).hexdigest()


def test_sha256_file_streams_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hashing, "_CHUNK", 7)
    data = bytes(range(256)) * 5
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert sha256_file(str(path)) == sha256_bytes(data)


def test_sha256_file_missing_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        sha256_file(tmp_path / "absent")
