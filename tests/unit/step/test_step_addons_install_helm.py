"""InstallHelm: the tarball is staged once and helm unpacked into /usr/local/bin."""

from __future__ import annotations

import shlex
from pathlib import Path

from fakeconn import OK, FakeConnection
from stepctx import Ctx, converge

from kubexm.connector.base import Result
from kubexm.step.addons.install_helm import STAGING_DIR, InstallHelm


class Tar:
    """``tar`` on the fake host: writes the stripped members and the marker."""

    def __init__(self, fake: FakeConnection) -> None:
        self.runs: list[list[str]] = []
        fake.script("&& tar ", self.extract)

    def extract(self, cmd: str, fake: FakeConnection) -> Result:
        argv = shlex.split(cmd.split("&& ", 2)[1].split(" && ")[0])
        self.runs.append(argv)
        dest = argv[argv.index("-C") + 1]
        for member in argv[argv.index("--strip-components=1") + 1 :]:
            fake.write(f"{dest}/{member.split('/', 1)[1]}", "bin", mode=0o755)
        words = shlex.split(cmd.rsplit("&& ", 1)[1])
        fake.call(["mkdir", "-p", "/var/lib/kubexm/extracted"])
        fake.write(words[-1], words[-3] + "\n")
        return OK


async def test_installs_helm_once(tmp_path: Path) -> None:
    archive = tmp_path / "helm-v3.18.4-linux-arm64.tar.gz"
    archive.write_bytes(b"tgz")
    fake = FakeConnection("m1")
    tar = Tar(fake)
    step = InstallHelm(archive, "3.18.4", "arm64")

    await converge(step, Ctx(fake, host="m1"))

    assert "/usr/local/bin/helm" in fake.files
    assert f"{STAGING_DIR}/{archive.name}" in fake.files
    assert "linux-arm64/helm" in tar.runs[0]
    assert step.describe() == "Install helm 3.18.4 (arm64)"
    await step.run(Ctx(fake, host="m1"))
    assert len(tar.runs) == 1
