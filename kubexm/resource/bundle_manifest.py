"""The offline bundle's ``manifest.json``: what is inside, where, and with which digest.

Layout of a bundle (one ``.tar.gz``; ``manifest.json`` is its first member)::

    manifest.json
    files/<component>/<version>/<arch>/<file>
    images/<name>.oci.tar                   see kubexm.resource.oci
    charts/<name>-<version>.tgz
    os/<os_id>-<os_version>/<arch>/<package files>   (os/<os_id>/<arch>/ when no version)

Every file, image archive, chart and OS package carries its sha256 and size, so a bundle can be
checked member by member. A file's ``label`` is ``upstream`` (a release file, checked against
the pinned digest when one exists) or ``stand-in`` (a test substitute, never compared with the
upstream pin). Since anyone can write that label, a bundle holding stand-ins is refused unless
the user asks for them (``--allow-standins``); only the test bundle has any.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

from kubexm.errors import ArtifactError
from kubexm.resource.model import ChartArtifact, FileArtifact, ImageArtifact

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
Label = Literal["upstream", "stand-in"]
LABELS: tuple[str, ...] = get_args(Label)
# Kinds `kubexm download --skip` can leave out; a manifest records them under ``skipped``.
SkipKind = Literal["images", "charts", "os-packages"]
SKIP_KINDS: tuple[str, ...] = get_args(SkipKind)
_LIST_FIELDS = ("files", "images", "charts", "os_packages")
_BAD_MANIFEST_HINT = "rebuild the bundle with `kubexm download`"
STANDIN_HINT = (
    "pass --allow-standins to accept stand-ins (test bundles only), or use a bundle built by "
    "`kubexm download`"
)


def file_member(artifact: FileArtifact) -> str:
    """Path of a release file inside the bundle."""
    return f"files/{artifact.cache_path}"


def chart_member(chart: ChartArtifact) -> str:
    """Path of a chart archive inside the bundle."""
    return f"charts/{chart.name}-{chart.version}.tgz"


def os_dir_member(os_id: str, os_version: str, arch: str) -> str:
    """Folder of one OS/version/arch's packages inside the bundle (``os/<id>/<arch>`` when the
    version is not known, as when the set was resolved without host facts)."""
    release = f"{os_id}-{os_version}" if os_version else os_id
    return f"os/{release}/{arch}"


def os_label(os_id: str, os_version: str) -> str:
    """``debian-12``, or ``debian (any version)`` for a set resolved without the version."""
    return f"{os_id}-{os_version}" if os_version else f"{os_id} (any version)"


@dataclass(frozen=True)
class BundleFile:
    """One release file (or stand-in) in the bundle."""

    component: str
    version: str
    arch: str
    filename: str
    path: str
    sha256: str
    size: int
    label: Label = "upstream"

    def key(self) -> tuple[str, str, str, str]:
        return (self.component, self.version, self.arch, self.filename)


@dataclass(frozen=True)
class BundleImage:
    """One image archive: pulled as ``source``, referenced by the cluster as ``target``."""

    source: str
    target: str
    arches: tuple[str, ...]
    path: str
    digest: str
    sha256: str
    size: int


@dataclass(frozen=True)
class BundleChart:
    """One helm chart archive."""

    name: str
    version: str
    repo: str
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class PackageFile:
    """One .deb or .rpm file of an OS package set."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class BundleOSPackages:
    """The packages of one OS id/version/arch: the names asked for and the files that hold them
    (the files include the dependencies the package manager resolved)."""

    os_id: str
    os_version: str
    arch: str
    packages: tuple[str, ...]
    files: tuple[PackageFile, ...]


@dataclass(frozen=True)
class BundleManifest:
    """The whole ``manifest.json``."""

    kubexm_version: str
    created: str
    cluster_name: str
    kubernetes_version: str
    files: tuple[BundleFile, ...] = ()
    images: tuple[BundleImage, ...] = ()
    charts: tuple[BundleChart, ...] = ()
    os_packages: tuple[BundleOSPackages, ...] = ()
    schema_version: int = SCHEMA_VERSION
    arches: tuple[str, ...] = field(default=())
    # Kinds left out on purpose when the bundle was built (``download --skip``).
    skipped: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``json.dumps`` (tuples become lists)."""
        return asdict(self)

    def find_file(self, artifact: FileArtifact) -> BundleFile | None:
        key = (artifact.component, artifact.version, artifact.arch, artifact.filename)
        return next((f for f in self.files if f.key() == key), None)

    def find_image(self, image: ImageArtifact) -> BundleImage | None:
        """The entry pulled from ``image.source`` (or, failing that, one named ``target``)."""
        by_source = next((i for i in self.images if i.source == image.source), None)
        return by_source or next((i for i in self.images if i.target == image.target), None)

    def find_chart(self, chart: ChartArtifact) -> BundleChart | None:
        return next(
            (c for c in self.charts if (c.name, c.version) == (chart.name, chart.version)), None
        )

    def find_os(self, os_id: str, os_version: str, arch: str) -> BundleOSPackages | None:
        key = (os_id, os_version, arch)
        return next((s for s in self.os_packages if (s.os_id, s.os_version, s.arch) == key), None)

    def standins(self) -> tuple[BundleFile, ...]:
        """The files labelled ``stand-in``: test substitutes, used only when asked for."""
        return tuple(entry for entry in self.files if entry.label == "stand-in")

    def members(self) -> dict[str, tuple[str, int]]:
        """Every listed member path → (sha256, size)."""
        entries: list[BundleFile | BundleImage | BundleChart | PackageFile] = [
            *self.files,
            *self.images,
            *self.charts,
            *(package for package_set in self.os_packages for package in package_set.files),
        ]
        return {entry.path: (entry.sha256, entry.size) for entry in entries}


def manifest_from_dict(data: Any) -> BundleManifest:
    """Parse ``manifest.json`` data.

    Raises ``ArtifactError`` when the schema version is unknown or a field is missing or of the
    wrong shape.
    """
    if not isinstance(data, dict):
        raise ArtifactError("bundle manifest is not a JSON object", _BAD_MANIFEST_HINT)
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ArtifactError(
            f"bundle manifest schema_version {data.get('schema_version')!r} is not supported "
            f"(this kubexm reads {SCHEMA_VERSION})",
            "use the kubexm version that built the bundle, or rebuild it with this one",
        )
    _check_shape(data)
    try:
        return _parse(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ArtifactError(f"bundle manifest is malformed: {exc!r}", _BAD_MANIFEST_HINT) from exc


def _not_manifest(reason: str) -> ArtifactError:
    return ArtifactError(
        f"{MANIFEST_NAME} is not a kubexm bundle manifest: {reason}", _BAD_MANIFEST_HINT
    )


def _check_shape(data: dict[str, Any]) -> None:
    """Raise a readable ArtifactError when a list field is not a list of JSON objects."""
    for name in _LIST_FIELDS:
        value = data.get(name)
        if not isinstance(value, list):
            raise _not_manifest(f"{name} must be a list")
        if not all(isinstance(item, dict) for item in value):
            raise _not_manifest(f"every entry of {name} must be an object")
    skipped = data.get("skipped", [])
    if not isinstance(skipped, list) or not set(skipped) <= set(SKIP_KINDS):
        raise _not_manifest(f"skipped must be a list of {', '.join(SKIP_KINDS)}")


def _parse(data: dict[str, Any]) -> BundleManifest:
    files = tuple(BundleFile(**_label_checked(item)) for item in data["files"])
    images = tuple(
        BundleImage(**{**item, "arches": tuple(item["arches"])}) for item in data["images"]
    )
    charts = tuple(BundleChart(**item) for item in data["charts"])
    os_sets = tuple(
        BundleOSPackages(
            os_id=item["os_id"],
            os_version=item["os_version"],
            arch=item["arch"],
            packages=tuple(item["packages"]),
            files=tuple(PackageFile(**package) for package in item["files"]),
        )
        for item in data["os_packages"]
    )
    return BundleManifest(
        kubexm_version=str(data["kubexm_version"]),
        created=str(data["created"]),
        cluster_name=str(data["cluster_name"]),
        kubernetes_version=str(data["kubernetes_version"]),
        files=files,
        images=images,
        charts=charts,
        os_packages=os_sets,
        arches=tuple(data.get("arches", ())),
        skipped=tuple(data.get("skipped", ())),
    )


def _label_checked(item: dict[str, Any]) -> dict[str, Any]:
    if item.get("label", "upstream") not in LABELS:
        raise ValueError(f"file label {item.get('label')!r} is not one of {', '.join(LABELS)}")
    return item
