from __future__ import annotations

import shlex
from pathlib import Path

from fakeconn import OK, FakeConnection
from runtime_stepkit import Ctx, staging_ready

from kubexm.connector.base import Result
from kubexm.step.runtime.import_container_images import ImageArchive, ImportContainerImages


class FakeCtr:
    """``ctr -n k8s.io images ls -q / import / tag`` over a set of image names."""

    def __init__(self, fake: FakeConnection, names: dict[str, str]) -> None:
        self.images: set[str] = set()
        self.names = names  # archive path -> name it carries
        fake.script(
            "images ls -q", lambda c, f: Result(0, "".join(f"{i}\n" for i in self.images), "")
        )
        fake.script("images import", self.run)

    def run(self, cmd: str, fake: FakeConnection) -> Result:
        for part in cmd.split(" && "):
            argv = shlex.split(part.replace(">/dev/null", ""))
            if "import" in argv:
                self.images.add(self.names[argv[-1].rsplit("/", 1)[-1]])
            elif "tag" in argv:
                self.images.add(argv[-1])
            else:
                fake.call(argv)
        return OK


def _archive(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(b"oci " + name.encode())
    return path


async def test_import_loads_missing_images_then_changes_nothing(tmp_path: Path) -> None:
    ctx = Ctx(staging_ready(FakeConnection()))
    ctr = FakeCtr(ctx.conn, {"bb.oci.tar": "docker.io/library/bb:1"})
    step = ImportContainerImages(
        (
            ImageArchive(
                "docker.io/library/bb:1", "docker.io/library/bb:1", _archive(tmp_path, "bb.oci.tar")
            ),
        )
    )

    assert await step.check(ctx) is False
    assert ctx.conn.puts == []
    await step.run(ctx)

    assert ctr.images == {"docker.io/library/bb:1"}
    assert not ctx.conn.exists("/var/lib/kubexm/artifacts/bb.oci.tar"), "staged copy removed"
    assert await step.check(ctx) is True


async def test_import_tags_an_image_the_private_registry_renames(tmp_path: Path) -> None:
    ctx = Ctx(staging_ready(FakeConnection()))
    ctr = FakeCtr(ctx.conn, {"pause.oci.tar": "registry.k8s.io/pause:3.10"})
    image = ImageArchive(
        "reg.local/k8s/pause:3.10",
        "registry.k8s.io/pause:3.10",
        _archive(tmp_path, "pause.oci.tar"),
    )

    await ImportContainerImages((image,)).run(ctx)

    assert "reg.local/k8s/pause:3.10" in ctr.images
    assert await ImportContainerImages((image,)).check(ctx) is True


def test_describe_counts_the_images(tmp_path: Path) -> None:
    image = ImageArchive("a:1", "a:1", tmp_path / "a.tar")
    assert ImportContainerImages((image,)).describe() == "Import container images (1) into k8s.io"
