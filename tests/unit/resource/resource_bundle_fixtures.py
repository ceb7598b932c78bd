"""A small, hand-made artifact cache for the bundle tests (no network, a few KB on disk)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

from kubexm.resource.model import (
    ArtifactSet,
    ChartArtifact,
    FileArtifact,
    ImageArtifact,
    OSPackageSet,
)
from kubexm.resource.oci import image_archive_name, layer_from_files, write_oci_archive

ARCHES = ("amd64", "arm64")
IMAGE = "registry.k8s.io/pause:3.10"
TARGET = "registry.local:5000/pause:3.10"


@dataclass(frozen=True)
class Cache:
    """Where the pieces live and the ArtifactSet that names them."""

    root: Path
    cache_dir: Path
    images_dir: Path
    os_dir: Path
    artifacts: ArtifactSet

    def build_kwargs(self) -> dict[str, Path]:
        return {"images_dir": self.images_dir, "os_dir": self.os_dir}


def content(component: str, arch: str) -> bytes:
    return f"#!/bin/sh\necho {component} {arch}\n".encode()


def make_cache(root: Path, *, pin: bool = True) -> Cache:
    """Files for etcd and a stand-in kubelet on two arches, one image, a chart, OS packages."""
    cache_dir, images_dir, os_dir = root / "cache", root / "images", root / "os"
    files: list[FileArtifact] = []
    for component, version in (("etcd", "3.5.21"), ("kubelet", "1.36.4")):
        for arch in ARCHES:
            data = content(component, arch)
            pinned = hashlib.sha256(data).hexdigest() if pin and component == "etcd" else None
            url = f"https://example.invalid/{component}"
            artifact = FileArtifact(component, version, arch, component, url, pinned)
            path = cache_dir / artifact.cache_path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            path.chmod(0o755)
            files.append(artifact)
    images_dir.mkdir(parents=True)
    layers = {arch: layer_from_files({"pause": content("pause", arch)}) for arch in ARCHES}
    write_oci_archive(images_dir / image_archive_name(IMAGE), IMAGE, layers)
    chart = ChartArtifact("localpv", "4.4.0", "https://charts.example.invalid", "storage")
    (cache_dir / "charts").mkdir(parents=True)
    (cache_dir / "charts" / "localpv-4.4.0.tgz").write_bytes(b"chart archive")
    debs = os_dir / "debian-12" / "amd64"
    debs.mkdir(parents=True)
    for name in ("socat_1.7.4.4-2_amd64.deb", "libwrap0_7.6.q-32_amd64.deb"):
        (debs / name).write_bytes(name.encode())
    artifacts = ArtifactSet(
        files=tuple(sorted(files)),
        images=(ImageArtifact(IMAGE, TARGET, "pause", ARCHES),),
        charts=(chart,),
        os_packages=(OSPackageSet("debian", "12", "amd64", ("socat",)),),
        arches=ARCHES,
    )
    return Cache(root, cache_dir, images_dir, os_dir, artifacts)


def smuggle(bundle: Path, out: Path, member: str, body: bytes, label: str = "stand-in") -> Path:
    """A copy of ``bundle`` with ``member`` replaced by ``body`` and its manifest entry
    rewritten to match (digest, size) and labelled ``label``: a tampered bundle whose members
    all agree with its manifest."""
    with tarfile.open(bundle, "r:gz") as src:
        members = [(m, _body(src, m)) for m in src.getmembers()]
    manifest = json.loads(next(data for m, data in members if m.name == "manifest.json"))
    for entry in manifest["files"]:
        if entry["path"] == member:
            entry.update(sha256=hashlib.sha256(body).hexdigest(), size=len(body), label=label)
    replaced = {"manifest.json": json.dumps(manifest).encode(), member: body}
    with tarfile.open(out, "w:gz") as dst:
        for info, data in members:
            data = replaced.get(info.name, data)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return out


def _body(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    stream = archive.extractfile(member) if member.isfile() else None
    return stream.read() if stream is not None else b""
