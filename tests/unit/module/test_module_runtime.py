from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from runtime_kit import Ctx, cluster, stock

from kubexm.errors import ArtifactError, PlanError
from kubexm.module.runtime import RuntimeModule
from kubexm.resource.model import ImageArtifact
from kubexm.resource.oci import image_archive_name


@dataclass
class WorkDir:
    artifacts: Path


@dataclass
class RunCtx(Ctx):
    work_dir: WorkDir | None = None


def _image(artifacts: Path) -> ImageArtifact:
    image = ImageArtifact("docker.io/library/bb:1", "docker.io/library/bb:1", "test")
    (artifacts / "images").mkdir(parents=True)
    (artifacts / "images" / image_archive_name(image.source)).write_bytes(b"x")
    return image


def test_module_imports_images_after_that_hosts_containerd(tmp_path: Path) -> None:
    c = cluster()
    stock(tmp_path, c)
    fragment = RuntimeModule(images=[_image(tmp_path)]).plan(RunCtx(c, WorkDir(tmp_path)))
    assert fragment is not None
    node = fragment.nodes["runtime/import-container-images@w1"]
    assert list(node.deps) == ["runtime/wait-containerd-ready@w1"]


def test_module_plans_nothing_for_isula(tmp_path: Path) -> None:
    assert RuntimeModule(tmp_path).plan(Ctx(cluster(runtime="isula"))) is None


@pytest.mark.parametrize(
    ("runtime", "missing"), [("docker", "docker"), ("cri-o", "CRI-O")], ids=["docker", "crio"]
)
def test_module_plans_the_configured_runtime(tmp_path: Path, runtime: str, missing: str) -> None:
    # The runtime's own task is planned: with empty artifacts it names its missing file.
    with pytest.raises(ArtifactError, match=missing):
        RuntimeModule(tmp_path).plan(Ctx(cluster(runtime=runtime)))


def test_module_needs_an_artifacts_folder() -> None:
    with pytest.raises(PlanError, match="artifacts folder"):
        RuntimeModule().plan(Ctx(cluster()))
