from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kubexm.errors import PKIError
from kubexm.pki.store import ensure_dir, read_bytes, write_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_atomic_creates_private_parents_and_sets_mode(tmp_path: Path) -> None:
    target = tmp_path / "pki" / "etcd" / "ca.key"
    write_atomic(target, b"data", 0o600)
    assert target.read_bytes() == b"data"
    assert _mode(target) == 0o600
    assert _mode(target.parent) == 0o700
    assert _mode(tmp_path / "pki") == 0o700


def test_write_atomic_replaces_content_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "ca.crt"
    write_atomic(target, b"old", 0o644)
    write_atomic(target, b"new", 0o644)
    assert target.read_bytes() == b"new"
    assert _mode(target) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca.crt"]


def test_write_atomic_applies_mode_despite_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_atomic(tmp_path / "ca.crt", b"x", 0o644)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "ca.crt") == 0o644


def test_write_atomic_failure_raises_and_keeps_the_target(tmp_path: Path) -> None:
    target = tmp_path / "ca.crt"
    target.write_bytes(b"keep")
    # A directory squatting on the temp name makes the open fail.
    (tmp_path / f".ca.crt.tmp{os.getpid()}").mkdir()
    with pytest.raises(PKIError, match="cannot write"):
        write_atomic(target, b"new", 0o644)
    assert target.read_bytes() == b"keep"


def test_ensure_dir_tightens_an_existing_directory(tmp_path: Path) -> None:
    loose = tmp_path / "pki"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    ensure_dir(loose)
    assert _mode(loose) == 0o700


def test_ensure_dir_under_a_file_raises_pki_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(PKIError, match="cannot create directory"):
        ensure_dir(tmp_path / "file" / "pki")


def test_read_bytes_returns_none_for_a_missing_file(tmp_path: Path) -> None:
    assert read_bytes(tmp_path / "missing") is None


def test_read_bytes_of_a_directory_raises_pki_error(tmp_path: Path) -> None:
    with pytest.raises(PKIError, match="cannot read"):
        read_bytes(tmp_path)
