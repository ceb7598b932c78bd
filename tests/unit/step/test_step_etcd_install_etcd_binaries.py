"""InstallEtcdBinaries: the upstream tarball is staged once and unpacked into /usr/local/bin."""

from __future__ import annotations

import shlex
from pathlib import Path

from etcd_step_helpers import Ctx, converge
from fakeconn import OK, FakeConnection

from kubexm.connector.base import Result
from kubexm.step.etcd.install_etcd_binaries import STAGING_DIR, InstallEtcdBinaries


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


def tarball(tmp_path: Path, content: bytes = b"tgz") -> Path:
    path = tmp_path / "etcd-v3.4.23-linux-amd64.tar.gz"
    path.write_bytes(content)
    return path


async def test_install_uploads_and_extracts_etcd_and_etcdctl_once(tmp_path: Path) -> None:
    ctx = Ctx()
    tar = Tar(ctx.conn)
    step = InstallEtcdBinaries(tarball(tmp_path), "3.4.23", "amd64")

    await converge(step, ctx)

    assert ctx.conn.files["/usr/local/bin/etcd"].mode == 0o755
    assert "/usr/local/bin/etcdctl" in ctx.conn.files
    assert f"{STAGING_DIR}/etcd-v3.4.23-linux-amd64.tar.gz" in ctx.conn.files
    assert "etcd-v3.4.23-linux-amd64/etcdctl" in tar.runs[0]
    await step.run(ctx)
    assert len(tar.runs) == 1, "a second run extracted again"


async def test_install_re_extracts_when_the_tarball_changes(tmp_path: Path) -> None:
    ctx = Ctx()
    tar = Tar(ctx.conn)
    await InstallEtcdBinaries(tarball(tmp_path), "3.4.23", "amd64").run(ctx)
    changed = InstallEtcdBinaries(tarball(tmp_path, b"other"), "3.4.23", "amd64")

    assert await changed.check(ctx) is False
    await changed.run(ctx)
    assert len(tar.runs) == 2


def test_describe_names_version_and_arch(tmp_path: Path) -> None:
    text = InstallEtcdBinaries(tarball(tmp_path), "3.4.23", "arm64").describe()
    assert "3.4.23" in text and "arm64" in text
