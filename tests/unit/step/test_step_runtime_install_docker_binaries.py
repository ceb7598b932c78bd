from __future__ import annotations

from pathlib import Path

from fakeconn import FakeConnection
from runtime_service_kit import StripExtractor
from runtime_stepkit import staging_ready, tarball
from stepctx import Ctx, converge

from kubexm.step.runtime.install_docker_binaries import BINARIES, InstallDockerBinaries

UPSTREAM = {f"docker/{name}": name.encode() for name in BINARIES} | {
    "docker/containerd-shim": b"legacy"
}


def _step(tmp_path: Path) -> InstallDockerBinaries:
    return InstallDockerBinaries(tarball(tmp_path / "docker-24.0.9.tgz", UPSTREAM), "24.0.9")


async def test_install_unpacks_the_engine_binaries_then_changes_nothing(tmp_path: Path) -> None:
    fake = staging_ready(FakeConnection())
    extractor = StripExtractor(fake)
    step = _step(tmp_path)
    await converge(step, Ctx(fake))
    for name in BINARIES:
        assert fake.text(f"/usr/local/bin/{name}") == name
    assert not fake.exists("/usr/local/bin/containerd-shim")
    await step.run(Ctx(fake))
    assert extractor.runs == 1


async def test_a_deleted_binary_is_unpacked_again(tmp_path: Path) -> None:
    fake = staging_ready(FakeConnection())
    extractor = StripExtractor(fake)
    step = _step(tmp_path)
    await step.run(Ctx(fake))
    del fake.files["/usr/local/bin/dockerd"]
    await converge(step, Ctx(fake))
    assert extractor.runs == 2


async def test_dry_run_of_a_fresh_host_uploads_nothing(tmp_path: Path) -> None:
    fake = staging_ready(FakeConnection())
    assert await _step(tmp_path).check(Ctx(fake)) is False
    assert fake.puts == []


def test_describe_names_version_and_target(tmp_path: Path) -> None:
    assert _step(tmp_path).describe() == "Install docker binaries 24.0.9 to /usr/local/bin"
