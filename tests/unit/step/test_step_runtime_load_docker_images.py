from __future__ import annotations

import io
import json
import shlex
import tarfile
from pathlib import Path

import pytest
from fakeconn import OK, FakeConnection
from runtime_stepkit import staging_ready
from stepctx import Ctx, converge

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.resource.oci import write_oci_archive
from kubexm.step.runtime.import_container_images import ImageArchive
from kubexm.step.runtime.load_docker_images import LoadDockerImages

SOURCE = "docker.io/library/bb:1"


class FakeDocker:
    """``docker image inspect`` and ``docker load`` on the fake host: a load adds the tags
    of the archive's manifest.json."""

    def __init__(self, fake: FakeConnection, present: set[str] | None = None) -> None:
        self.images = set(present or ())
        self.loads = 0
        fake.script("for r in ", self.inspect)
        fake.script(" load -q -i ", self.load)

    def inspect(self, cmd: str, fake: FakeConnection) -> Result:
        refs = shlex.split(cmd.split("for r in ", 1)[1].split("; do", 1)[0])
        return Result(0, "".join(f"{r}\n" for r in refs if r not in self.images), "")

    def load(self, cmd: str, fake: FakeConnection) -> Result:
        self.loads += 1
        staged = shlex.split(cmd)[shlex.split(cmd).index("-i") + 1]
        with tarfile.open(fileobj=io.BytesIO(fake.files[staged].data)) as archive:
            member = archive.extractfile("manifest.json")
            assert member is not None
            manifest = json.loads(member.read())
        self.images.update(manifest[0]["RepoTags"])
        fake.call(["rm", "-f", "--", staged])
        return OK


def _images(tmp_path: Path, ref: str = SOURCE) -> tuple[ImageArchive, ...]:
    archive = tmp_path / "docker.io_library_bb_1.oci.tar"
    write_oci_archive(archive, SOURCE, {"amd64": b"layer"})
    return (ImageArchive(ref, SOURCE, archive),)


@pytest.mark.parametrize("ref", [SOURCE, "reg:5000/library/bb:1"], ids=["same", "rewritten"])
async def test_loads_missing_images_under_their_ref_then_changes_nothing(
    tmp_path: Path, ref: str
) -> None:
    fake = staging_ready(FakeConnection())
    docker = FakeDocker(fake)
    await converge(LoadDockerImages(_images(tmp_path, ref)), Ctx(fake))
    assert docker.images == {ref}
    assert docker.loads == 1
    assert not any(p.endswith(".docker.tar") for p in fake.files), "staged copy removed"


async def test_present_images_are_not_loaded(tmp_path: Path) -> None:
    fake = staging_ready(FakeConnection())
    docker = FakeDocker(fake, {SOURCE})
    step = LoadDockerImages(_images(tmp_path))
    assert await step.check(Ctx(fake)) is True
    await step.run(Ctx(fake))
    assert (docker.loads, fake.puts) == (0, [])


async def test_a_rejected_archive_fails(tmp_path: Path) -> None:
    fake = staging_ready(FakeConnection())
    FakeDocker(fake)
    fake.rules.insert(0, fake.rules.pop())  # keep inspect; reject the load
    fake.script(" load -q -i ", Result(1, "", "invalid tar header"))
    fake.rules.insert(0, fake.rules.pop())
    with pytest.raises(CommandError):
        await LoadDockerImages(_images(tmp_path)).run(Ctx(fake))


def test_describe_counts_the_images(tmp_path: Path) -> None:
    assert LoadDockerImages(_images(tmp_path)).describe() == "Load container images into docker (1)"
