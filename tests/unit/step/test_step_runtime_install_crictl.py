from __future__ import annotations

from pathlib import Path

from fakeconn import FakeConnection
from runtime_stepkit import Ctx, Extractor, staging_ready, tarball

from kubexm.step.runtime.install_crictl import InstallCrictl


def _step(tmp_path: Path) -> InstallCrictl:
    archive = tarball(tmp_path / "crictl-v1.31.1-linux-amd64.tar.gz", {"crictl": b"crictl"})
    return InstallCrictl(archive, "1.31.1")


async def test_install_unpacks_crictl_then_a_second_run_changes_nothing(tmp_path: Path) -> None:
    ctx = Ctx(staging_ready(FakeConnection()))
    extractor = Extractor(ctx.conn)
    step = _step(tmp_path)

    assert await step.check(ctx) is False
    await step.run(ctx)
    assert ctx.conn.text("/usr/local/bin/crictl") == "crictl"
    assert await step.check(ctx) is True
    assert extractor.runs == 1


def test_describe_names_version(tmp_path: Path) -> None:
    assert _step(tmp_path).describe() == "Install crictl 1.31.1 to /usr/local/bin"
