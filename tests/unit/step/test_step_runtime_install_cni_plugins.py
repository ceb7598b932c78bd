from __future__ import annotations

from pathlib import Path

from fakeconn import FakeConnection
from runtime_stepkit import Ctx, Extractor, staging_ready, tarball

from kubexm.step.runtime.install_cni_plugins import InstallCniPlugins

PLUGINS = {"./bridge": b"bridge", "./loopback": b"lo", "./host-local": b"ipam"}


def _step(tmp_path: Path) -> InstallCniPlugins:
    return InstallCniPlugins(
        tarball(tmp_path / "cni-plugins-linux-amd64-v1.5.1.tgz", PLUGINS), "1.5.1"
    )


async def test_install_unpacks_every_plugin_into_opt_cni_bin(tmp_path: Path) -> None:
    ctx = Ctx(staging_ready(FakeConnection()))
    Extractor(ctx.conn)
    step = _step(tmp_path)

    assert await step.check(ctx) is False
    await step.run(ctx)

    assert {p: ctx.conn.text(f"/opt/cni/bin/{p[2:]}") for p in PLUGINS} == {
        p: data.decode() for p, data in PLUGINS.items()
    }


async def test_install_changes_nothing_on_a_second_run(tmp_path: Path) -> None:
    ctx = Ctx(staging_ready(FakeConnection()))
    extractor = Extractor(ctx.conn)
    step = _step(tmp_path)
    await step.run(ctx)

    assert await step.check(ctx) is True
    assert extractor.runs == 1


def test_describe_names_the_destination(tmp_path: Path) -> None:
    assert _step(tmp_path).describe() == "Install CNI plugins 1.5.1 to /opt/cni/bin"
