"""What a cluster needs from outside: files, images, charts and OS packages.

These records are the contract between resolving a config to its artifacts, downloading them
into the cache, and packing or checking an offline bundle. They hold facts only; the modules
beside this one act on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class FileArtifact:
    """One upstream release file for one architecture.

    ``sha256`` is the pinned digest from the packaged checksums, or None when no pin exists
    (then the upstream ``.sha256`` file is fetched and checked). ``cache_path`` is relative to
    the artifact cache: ``<component>/<version>/<arch>/<filename>``.
    """

    component: str
    version: str
    arch: str
    filename: str
    url: str
    sha256: str | None = None

    @property
    def cache_path(self) -> str:
        return f"{self.component}/{self.version}/{self.arch}/{self.filename}"


@dataclass(frozen=True, order=True)
class ImageArtifact:
    """A container image as pulled (``source``) and as the cluster will reference it (``target``).

    ``target`` differs from ``source`` when a private registry or a mirror zone rewrites it.
    ``purpose`` says why the cluster needs it (``control-plane``, ``pause``, ``cni:calico``...).
    """

    source: str
    target: str
    purpose: str
    arches: tuple[str, ...] = ("amd64",)


@dataclass(frozen=True, order=True)
class ChartArtifact:
    """A helm chart archive (``<name>-<version>.tgz``) and where it comes from."""

    name: str
    version: str
    repo: str
    purpose: str


@dataclass(frozen=True, order=True)
class OSPackageSet:
    """Packages one OS family/version/arch needs installed (names, not files)."""

    os_id: str
    os_version: str
    arch: str
    packages: tuple[str, ...]


@dataclass(frozen=True)
class ArtifactSet:
    """Everything one config needs, de-duplicated and sorted for stable output."""

    files: tuple[FileArtifact, ...] = ()
    images: tuple[ImageArtifact, ...] = ()
    charts: tuple[ChartArtifact, ...] = ()
    os_packages: tuple[OSPackageSet, ...] = ()
    arches: tuple[str, ...] = field(default=("amd64",))
    # Things the config needs that kubexm cannot list yet (a chart without a version, a CNI
    # whose images come only from its chart...), one human sentence each.
    notes: tuple[str, ...] = ()

    def files_for(self, component: str) -> tuple[FileArtifact, ...]:
        """The files of one component, every architecture."""
        return tuple(f for f in self.files if f.component == component)
