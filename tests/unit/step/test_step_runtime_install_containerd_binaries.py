from __future__ import annotations

from pathlib import Path

from fakeconn import FakeConnection
from runtime_stepkit import Ctx, Extractor, staging_ready, tarball

from kubexm.step.runtime.install_containerd_binaries import MEMBERS, InstallContainerdBinaries

UPSTREAM = {
    "bin/containerd": b"containerd",
    "bin/containerd-shim-runc-v2": b"shim",
    "bin/ctr": b"ctr",
    "bin/containerd-stress": b"stress",
}


def _step(tmp_path: Path) -> InstallContainerdBinaries:
    archive = tarball(tmp_path / "containerd-1.7.22-linux-amd64.tar.gz", UPSTREAM)
    return InstallContainerdBinaries(archive, "1.7.22")


async def test_install_puts_the_needed_binaries_in_usr_local_bin(tmp_path: Path) -> None:
    ctx = Ctx(staging_ready(FakeConnection()))
    Extractor(ctx.conn)
    step = _step(tmp_path)

    assert await step.check(ctx) is False
    assert ctx.conn.puts == [], "check must not upload"
    await step.run(ctx)

    for member in MEMBERS:
        assert ctx.conn.text(f"/usr/local/{member}") == UPSTREAM[member].decode()
    assert not ctx.conn.exists("/usr/local/bin/containerd-stress")


async def test_install_changes_nothing_on_a_second_run(tmp_path: Path) -> None:
    ctx = Ctx(staging_ready(FakeConnection()))
    extractor = Extractor(ctx.conn)
    step = _step(tmp_path)
    await step.run(ctx)
    uploads = len(ctx.conn.puts)

    assert await step.check(ctx) is True
    await step.run(ctx)
    assert (len(ctx.conn.puts), extractor.runs) == (uploads, 1)


async def test_install_extracts_again_when_a_binary_was_deleted(tmp_path: Path) -> None:
    ctx = Ctx(staging_ready(FakeConnection()))
    extractor = Extractor(ctx.conn)
    step = _step(tmp_path)
    await step.run(ctx)
    del ctx.conn.files["/usr/local/bin/ctr"]

    assert await step.check(ctx) is False
    await step.run(ctx)
    assert extractor.runs == 2
    assert ctx.conn.exists("/usr/local/bin/ctr")


def test_describe_names_version_and_target(tmp_path: Path) -> None:
    assert _step(tmp_path).describe() == "Install containerd binaries 1.7.22 to /usr/local/bin"
