"""The container runtime of every Kubernetes node: installed, configured, running, and the
offline images imported.

``containerRuntime.type`` picks the tasks: containerd; docker (static release) with
cri-dockerd; or CRI-O (static bundle). Each task plans nothing for another type. For isula
the module plans nothing (its tasks are not written yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from kubexm.errors import PlanError
from kubexm.module.base import Module, register_module
from kubexm.plan import PlanContext
from kubexm.resource.model import ImageArtifact
from kubexm.task import Task
from kubexm.task.runtime import ContainerdInstallTask, ContainerImagesImportTask
from kubexm.task.runtime_crio import CrioImagesImportTask, CrioInstallTask
from kubexm.task.runtime_docker import DockerImagesImportTask, DockerInstallTask


@runtime_checkable
class _HasWorkDir(Protocol):
    @property
    def work_dir(self) -> _WorkDir: ...


@runtime_checkable
class _WorkDir(Protocol):
    @property
    def artifacts(self) -> Path: ...


@register_module
class RuntimeModule(Module):
    """The configured runtime (containerd, docker + cri-dockerd, or CRI-O), its CNI plugins
    and crictl, and the image import on masters and workers.

    ``artifacts`` is the folder holding release files and ``images/``; by default the run
    context's work dir ``artifacts/``. ``images`` replaces the images to import (default:
    every image the config needs whose archive is there). Per host, the import waits only
    for that host's runtime.
    """

    name: ClassVar[str] = "runtime"
    description: ClassVar[str] = "Container runtime on every node"
    per_host: ClassVar[bool] = True

    def __init__(
        self, artifacts: Path | None = None, images: Sequence[ImageArtifact] | None = None
    ) -> None:
        self.artifacts = artifacts
        self.images = images

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        """Install the configured runtime, then import images (the tasks of the other types
        plan nothing). Raises ``PlanError`` when no artifacts folder was given and the
        context has no work dir."""
        artifacts = self._artifacts(ctx)
        return [
            ContainerdInstallTask(artifacts),
            ContainerImagesImportTask(artifacts, self.images),
            DockerInstallTask(artifacts),
            DockerImagesImportTask(artifacts, self.images),
            CrioInstallTask(artifacts),
            CrioImagesImportTask(artifacts, self.images),
        ]

    def _artifacts(self, ctx: PlanContext) -> Path:
        if self.artifacts is not None:
            return self.artifacts
        if isinstance(ctx, _HasWorkDir):
            return ctx.work_dir.artifacts
        raise PlanError(
            "the runtime module needs the artifacts folder",
            "plan it with a run context (it knows the work dir) or pass artifacts=",
        )
