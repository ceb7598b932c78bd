from __future__ import annotations

from pathlib import Path

from fakeconn import FakeConnection
from runtime_service_kit import StripExtractor
from runtime_stepkit import staging_ready, tarball
from stepctx import Ctx, converge

from kubexm.step.runtime.install_cri_dockerd import InstallCriDockerd


def _step(tmp_path: Path) -> InstallCriDockerd:
    files = {"cri-dockerd/cri-dockerd": b"shim", "cri-dockerd/README": b"x"}
    return InstallCriDockerd(tarball(tmp_path / "cri-dockerd-0.3.26.amd64.tgz", files), "0.3.26")


async def test_install_unpacks_the_shim_then_changes_nothing(tmp_path: Path) -> None:
    fake = staging_ready(FakeConnection())
    extractor = StripExtractor(fake)
    step = _step(tmp_path)
    await converge(step, Ctx(fake))
    assert fake.text("/usr/local/bin/cri-dockerd") == "shim"
    assert not fake.exists("/usr/local/bin/README")
    await step.run(Ctx(fake))
    assert extractor.runs == 1


def test_describe_names_version_and_target(tmp_path: Path) -> None:
    assert _step(tmp_path).describe() == "Install cri-dockerd 0.3.26 to /usr/local/bin"
