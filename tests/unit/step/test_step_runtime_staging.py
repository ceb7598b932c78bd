from __future__ import annotations

from pathlib import Path

from fakeconn import FakeConnection, assert_idempotent

from kubexm.runner.host import Host, OpResult
from kubexm.step.runtime.staging import STAGING_DIR, ensure_staged, staged_path


def test_staged_path_keeps_the_file_name() -> None:
    assert staged_path(Path("/w/a/runc.amd64")) == f"{STAGING_DIR}/runc.amd64"


async def test_ensure_staged_uploads_once_then_finds_the_same_sha(tmp_path: Path) -> None:
    local = tmp_path / "cni.tgz"
    local.write_bytes(b"plugins")
    fake = FakeConnection()

    async def op(host: Host) -> OpResult:
        return await ensure_staged(host, local)

    lines = await assert_idempotent(fake, op)
    assert lines == [f"[node1] would upload {STAGING_DIR}/cni.tgz"]
    assert fake.files[f"{STAGING_DIR}/cni.tgz"].data == b"plugins"


async def test_ensure_staged_uploads_again_when_the_local_file_changed(tmp_path: Path) -> None:
    local = tmp_path / "cni.tgz"
    local.write_bytes(b"v1")
    fake = FakeConnection()
    await ensure_staged(Host(fake), local)
    local.write_bytes(b"v2")

    result = await ensure_staged(Host(fake), local)

    assert result.changed
    assert fake.files[f"{STAGING_DIR}/cni.tgz"].data == b"v2"
