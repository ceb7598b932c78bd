from __future__ import annotations

from pathlib import Path

import pytest
from fakeconn import FakeConnection
from runtime_service_kit import StripExtractor
from runtime_stepkit import staging_ready, tarball
from stepctx import Ctx, converge

from kubexm.errors import ArtifactError
from kubexm.step.runtime.install_crio_bundle import InstallCrioBundle, read_crio_bundle

BUNDLE = {
    **{f"cri-o/bin/{b}": b.encode() for b in ("crio", "pinns", "conmon", "crun", "runc")},
    "cri-o/bin/crictl": b"crictl",
    "cri-o/cni-plugins/bridge": b"bridge",
    "cri-o/cni-plugins/loopback": b"loopback",
    "cri-o/contrib/crio.service": b"unit",
    "cri-o/etc/10-crun.conf": b"conf",
}


def _archive(tmp_path: Path, files: dict[str, bytes] = BUNDLE) -> Path:
    return tarball(tmp_path / "cri-o.amd64.v1.34.11.tar.gz", files)


def test_read_bundle_lists_binaries_and_plugins(tmp_path: Path) -> None:
    bundle = read_crio_bundle(_archive(tmp_path))
    assert bundle.top == "cri-o"
    assert bundle.binaries == ("crio", "pinns", "conmon", "crun", "runc", "crictl")
    assert bundle.plugins == ("bridge", "loopback")


@pytest.mark.parametrize(
    ("drop", "lacking"),
    [(("cri-o/bin/conmon",), "conmon"), (("cri-o/bin/crun", "cri-o/bin/runc"), "OCI runtime")],
)
def test_a_bundle_without_what_crio_needs_is_refused(
    tmp_path: Path, drop: tuple[str, ...], lacking: str
) -> None:
    files = {k: v for k, v in BUNDLE.items() if k not in drop}
    with pytest.raises(ArtifactError, match=lacking):
        read_crio_bundle(_archive(tmp_path, files))


def test_an_unreadable_bundle_is_an_artifact_error(tmp_path: Path) -> None:
    bad = tmp_path / "cri-o.amd64.v1.34.11.tar.gz"
    bad.write_bytes(b"not a tarball")
    with pytest.raises(ArtifactError, match="cannot read"):
        read_crio_bundle(bad)


async def test_install_unpacks_binaries_and_plugins_then_changes_nothing(tmp_path: Path) -> None:
    fake = staging_ready(FakeConnection())
    extractor = StripExtractor(fake)
    archive = _archive(tmp_path)
    step = InstallCrioBundle(archive, "1.34.11", read_crio_bundle(archive))
    await converge(step, Ctx(fake))
    assert fake.text("/usr/local/bin/crio") == "crio"
    assert fake.text("/usr/local/bin/crictl") == "crictl"
    assert fake.text("/opt/cni/bin/bridge") == "bridge"
    assert not fake.exists("/usr/local/bin/crio.service")
    await step.run(Ctx(fake))
    assert extractor.runs == 2  # binaries and plugins, once each
    assert "/opt/cni/bin" in step.describe()
