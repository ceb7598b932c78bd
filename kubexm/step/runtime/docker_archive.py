"""Turn an OCI image archive into one ``docker load`` reads on every docker version.

``docker load`` before 25.0 reads only the ``docker save`` layout: a ``manifest.json`` naming
the config and layer files. The archive written here keeps the OCI layout (``oci-layout``,
``index.json``, ``blobs/``) and adds that ``manifest.json`` for one platform, pointing at the
same blobs, so old and new docker load the same file.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

from kubexm.errors import ArtifactError

_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
_HINT = "rebuild the image archive (`kubexm download -f <config>`)"


def _blob(digest: str) -> str:
    algorithm, _, hexpart = digest.partition(":")
    if algorithm != "sha256" or len(hexpart) != 64:
        raise ValueError(f"unsupported digest {digest!r}")
    return f"blobs/sha256/{hexpart}"


def _json(tar: tarfile.TarFile, name: str) -> Any:
    stream = tar.extractfile(name)
    if stream is None:
        raise ValueError(f"{name} is not a file")
    return json.loads(stream.read())


def _platform_manifest(tar: tarfile.TarFile, arch: str) -> dict[str, Any]:
    """The image manifest for ``arch``, through an image index when there is one."""
    descriptor = _json(tar, "index.json")["manifests"][0]
    doc: dict[str, Any] = _json(tar, _blob(descriptor["digest"]))
    while doc.get("mediaType") in _INDEX_TYPES or "manifests" in doc:
        match = [
            m for m in doc["manifests"] if (m.get("platform") or {}).get("architecture") == arch
        ]
        if not match:
            raise ValueError(f"no {arch} image in the index")
        doc = _json(tar, _blob(match[0]["digest"]))
    return doc


def docker_manifest(oci: Path, ref: str, arch: str) -> list[dict[str, Any]]:
    """The ``manifest.json`` ``docker load`` wants for the ``arch`` image of ``oci``, tagged
    ``ref``. Raises ``ArtifactError`` when ``oci`` is no readable OCI archive or lacks
    ``arch``."""
    try:
        with tarfile.open(oci, "r:") as tar:
            manifest = _platform_manifest(tar, arch)
            layers = [_blob(layer["digest"]) for layer in manifest["layers"]]
            config = _blob(manifest["config"]["digest"])
    except (OSError, tarfile.TarError, ValueError, KeyError, IndexError) as exc:
        raise ArtifactError(f"{oci} is not a usable OCI image archive: {exc}", _HINT) from exc
    return [{"Config": config, "RepoTags": [ref], "Layers": layers}]


def write_docker_archive(oci: Path, ref: str, arch: str, out: Path) -> Path:
    """Write ``out``: every member of ``oci`` plus ``manifest.json`` for ``arch`` tagged
    ``ref``. Raises ``ArtifactError`` for an unusable archive, ``OSError`` when ``out``
    cannot be written."""
    manifest = json.dumps(docker_manifest(oci, ref, arch)).encode()
    with tarfile.open(oci, "r:") as src, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as dst:
        for member in src:
            if member.name == "manifest.json":
                continue
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        dst.addfile(info, io.BytesIO(manifest))
    return out
