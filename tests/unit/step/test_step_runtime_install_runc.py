from __future__ import annotations

from pathlib import Path

from fakeconn import FakeConnection
from runtime_stepkit import Ctx, staging_ready

from kubexm.step.runtime.install_runc import InstallRunc


async def test_install_runc_writes_an_executable_then_changes_nothing(tmp_path: Path) -> None:
    binary = tmp_path / "runc.amd64"
    binary.write_bytes(b"\x7fELF runc")
    ctx = Ctx(staging_ready(FakeConnection()))
    step = InstallRunc(binary, "1.1.14")

    assert await step.check(ctx) is False
    await step.run(ctx)
    installed = ctx.conn.files["/usr/local/sbin/runc"]
    assert (installed.data, installed.mode) == (b"\x7fELF runc", 0o755)
    assert await step.check(ctx) is True


async def test_install_runc_fixes_a_wrong_mode(tmp_path: Path) -> None:
    binary = tmp_path / "runc.amd64"
    binary.write_bytes(b"runc")
    ctx = Ctx(staging_ready(FakeConnection()))
    ctx.conn.write("/usr/local/sbin/runc", b"runc", mode=0o644)

    step = InstallRunc(binary, "1.1.14")
    assert await step.check(ctx) is False
    await step.run(ctx)
    assert ctx.conn.files["/usr/local/sbin/runc"].mode == 0o755
