from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from fakeconn import OK, FakeConnection
from runtime_stepkit import staging_ready
from stepctx import Ctx, converge

from kubexm.connector.base import Result
from kubexm.errors import StepError
from kubexm.step.runtime.import_container_images import ImageArchive
from kubexm.step.runtime.import_crio_images import ImportCrioImages

REF = "docker.io/library/bb:1"


class FakeCrio:
    """``crictl images -o json`` and ``skopeo copy`` into containers-storage."""

    def __init__(self, fake: FakeConnection, *, skopeo: bool = True) -> None:
        self.tags: set[str] = set()
        self.copies: list[str] = []
        fake.script("images -o json", self.images)
        fake.script(
            "command -v skopeo", Result(0, "/usr/bin/skopeo\n", "") if skopeo else Result(1, "", "")
        )
        fake.script("skopeo copy", self.copy)

    def images(self, cmd: str, fake: FakeConnection) -> Result:
        doc = {"images": [{"repoTags": [t]} for t in sorted(self.tags)]}
        return Result(0, json.dumps(doc), "")

    def copy(self, cmd: str, fake: FakeConnection) -> Result:
        argv = shlex.split(cmd.split(" && ", 1)[0])
        self.copies.append(argv[-1])
        self.tags.add(argv[-1].split("]", 1)[1])
        fake.call(["rm", "-f", "--", argv[-2].removeprefix("oci-archive:")])
        return OK


def _images(tmp_path: Path) -> tuple[ImageArchive, ...]:
    archive = tmp_path / "bb.oci.tar"
    archive.write_bytes(b"oci")
    return (ImageArchive(REF, REF, archive),)


async def test_copies_missing_images_into_crio_storage_then_changes_nothing(tmp_path: Path) -> None:
    fake = staging_ready(FakeConnection())
    crio = FakeCrio(fake)
    await converge(ImportCrioImages(_images(tmp_path)), Ctx(fake))
    assert crio.copies == [
        f"containers-storage:[overlay@/var/lib/containers/storage+/run/containers/storage]{REF}"
    ]
    assert not fake.exists("/var/lib/kubexm/artifacts/bb.oci.tar")


async def test_without_skopeo_the_import_fails_with_a_hint(tmp_path: Path) -> None:
    fake = staging_ready(FakeConnection())
    FakeCrio(fake, skopeo=False)
    with pytest.raises(StepError) as caught:
        await ImportCrioImages(_images(tmp_path)).run(Ctx(fake))
    assert "no image importer" in caught.value.hint
    assert "privateRegistry" in caught.value.hint
    assert fake.puts == []


async def test_present_images_need_no_skopeo(tmp_path: Path) -> None:
    fake = staging_ready(FakeConnection())
    crio = FakeCrio(fake, skopeo=False)
    crio.tags.add(REF)
    assert await ImportCrioImages(_images(tmp_path)).check(Ctx(fake)) is True


def test_describe_counts_the_images(tmp_path: Path) -> None:
    assert (
        ImportCrioImages(_images(tmp_path)).describe() == "Import container images into CRI-O (1)"
    )
