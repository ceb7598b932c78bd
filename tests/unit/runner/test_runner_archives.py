from __future__ import annotations

import io
import shlex
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest
from fakeconn import OK, FakeConnection, assert_idempotent

from kubexm.connector.base import Result
from kubexm.errors import KubexmError
from kubexm.runner.archives import ensure_extracted, extract_command, marker_path
from kubexm.runner.host import Host

ARCHIVE = "/tmp/kubexm/etcd-v3.5.9-linux-amd64.tar.gz"


def _tgz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class ExtractFake:
    """Extraction on the fake host: writes the members and the marker the command names."""

    def __init__(self, fake: FakeConnection, members: list[str]) -> None:
        self.members = members
        self.runs = 0
        fake.script(r"&& (tar|unzip) ", self.extract, regex=True)

    def extract(self, cmd: str, fake: FakeConnection) -> Result:
        self.runs += 1
        argv = shlex.split(cmd.split("&& ", 1)[1])
        dest = argv[argv.index("-C") + 1]
        strip = next((int(a.split("=")[1]) for a in argv if a.startswith("--strip")), 0)
        fake.call(["mkdir", "-p", dest])
        for member in self.members:
            fake.write(f"{dest}/{member.split('/', strip)[-1]}", "bin", mode=0o755)
        words = shlex.split(cmd.rsplit("&& ", 1)[1])
        fake.call(["mkdir", "-p", "/var/lib/kubexm/extracted"])
        fake.write(words[-1], words[-3] + "\n")  # printf '%s\n' <stamp> > <marker>
        return OK


@pytest.mark.parametrize(
    ("archive", "flag"),
    [("a.tar.gz", "-xzf"), ("a.tgz", "-xzf"), ("a.tar.xz", "-xJf"), ("a.tar.bz2", "-xjf"),
     ("a.tar", "-xf")],
    ids=["tar.gz", "tgz", "tar.xz", "tar.bz2", "tar"],
)  # fmt: skip
def test_extract_command_picks_tar_flag(archive: str, flag: str) -> None:
    argv = shlex.split(extract_command(archive, "/opt/x", ["m"], 1))
    assert argv[:3] == ["tar", flag, archive]
    assert argv[-2:] == ["--strip-components=1", "m"]


def test_extract_command_zip_uses_unzip() -> None:
    assert extract_command("a.zip", "/d", ["m"]) == "unzip -o -q a.zip m -d /d"


def test_extract_command_rejects_zip_strip_and_unknown_types() -> None:
    with pytest.raises(KubexmError, match="strip"):
        extract_command("a.zip", "/d", strip_components=1)
    with pytest.raises(KubexmError, match="unknown archive type"):
        extract_command("a.rar", "/d")


def test_extract_command_really_extracts_selected_members(tmp_path: Path) -> None:
    archive = tmp_path / "etcd.tar.gz"
    archive.write_bytes(
        _tgz({"etcd-v3/etcd": b"e", "etcd-v3/etcdctl": b"c", "etcd-v3/README": b"r"})
    )
    dest = tmp_path / "bin"
    dest.mkdir()
    cmd = extract_command(str(archive), str(dest), ["etcd-v3/etcd", "etcd-v3/etcdctl"], 1)
    subprocess.run(["sh", "-c", cmd], check=True)
    assert sorted(p.name for p in dest.iterdir()) == ["etcd", "etcdctl"]


def test_extract_command_really_extracts_zip(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("dir/tool", "t")
    subprocess.run(["sh", "-c", extract_command(str(archive), str(tmp_path / "out"))], check=True)
    assert (tmp_path / "out" / "dir" / "tool").read_text() == "t"


def test_marker_path_differs_per_destination() -> None:
    assert marker_path(ARCHIVE, "/a") != marker_path(ARCHIVE, "/b")


async def test_ensure_extracted_then_unchanged(fake: FakeConnection) -> None:
    fake.call(["mkdir", "-p", "/tmp/kubexm"])
    fake.write(ARCHIVE, b"archive-bytes")
    members = ["etcd-v3.5.9-linux-amd64/etcd", "etcd-v3.5.9-linux-amd64/etcdctl"]
    ex = ExtractFake(fake, members)
    lines = await assert_idempotent(
        fake,
        lambda h: ensure_extracted(
            h, ARCHIVE, "/usr/local/bin", members=members, strip_components=1
        ),
        state=lambda: ex.runs,
    )
    assert lines == [f"[node1] would extract {ARCHIVE} to /usr/local/bin"]
    assert "/usr/local/bin/etcdctl" in fake.files
    assert ex.runs == 1


async def test_ensure_extracted_again_when_archive_content_changes(
    host: Host, fake: FakeConnection
) -> None:
    fake.call(["mkdir", "-p", "/tmp/kubexm"])
    fake.write(ARCHIVE, b"v1")
    ex = ExtractFake(fake, ["etcd"])
    await ensure_extracted(host, ARCHIVE, "/opt/etcd")
    fake.write(ARCHIVE, b"v2")
    assert (await ensure_extracted(host, ARCHIVE, "/opt/etcd")).changed
    assert ex.runs == 2


async def test_ensure_extracted_again_when_a_member_was_removed(
    host: Host, fake: FakeConnection
) -> None:
    fake.call(["mkdir", "-p", "/tmp/kubexm"])
    fake.write(ARCHIVE, b"v1")
    ex = ExtractFake(fake, ["d/etcd"])
    await ensure_extracted(host, ARCHIVE, "/opt/etcd", members=["d/etcd"], strip_components=1)
    del fake.files["/opt/etcd/etcd"]
    await ensure_extracted(host, ARCHIVE, "/opt/etcd", members=["d/etcd"], strip_components=1)
    assert ex.runs == 2


async def test_ensure_extracted_missing_archive_is_a_clear_error(host: Host) -> None:
    with pytest.raises(KubexmError, match="not on the host"):
        await ensure_extracted(host, "/tmp/none.tar.gz", "/opt/x")


async def test_ensure_extracted_command_runs_in_a_real_shell(
    host: Host, fake: FakeConnection, tmp_path: Path
) -> None:
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(_tgz({"d/tool": b"t"}))
    fake.call(["mkdir", "-p", str(tmp_path)])
    fake.write(str(archive), archive.read_bytes())
    ExtractFake(fake, ["d/tool"])
    dest = tmp_path / "out"
    await ensure_extracted(host, str(archive), str(dest), members=["d/tool"], strip_components=1)
    sent = next(c for c in fake.ran if "tar -xzf" in c)
    markers = tmp_path / "markers"
    subprocess.run(
        ["sh", "-c", sent.replace("/var/lib/kubexm/extracted", str(markers))], check=True
    )
    assert (dest / "tool").read_text() == "t"
    assert len((next(markers.iterdir())).read_text().strip()) == 64
