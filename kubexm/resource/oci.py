"""Container images as OCI archives: how they enter a bundle and how they reach a registry.

Decision. An image travels as an *OCI archive*: an uncompressed tar of an OCI image layout
(``oci-layout``, ``index.json``, ``blobs/sha256/<hex>``). Three reasons:

- ``ctr -n k8s.io images import <archive>`` loads it on a node with no registry at all, and it
  keeps the digest of every manifest, so what runs in the air gap is byte-for-byte what was
  pulled;
- skopeo (Debian package ``skopeo``) reads and writes it natively, so the same file is pushed to
  a private registry with ``skopeo copy --all oci-archive:<file> docker://<target>``;
- it is a plain tar we can read and write here, in Python, without any daemon.

Moving images between a registry and an archive is skopeo's job: it speaks every registry
protocol, authentication flow and manifest dialect (Docker v2 schema 2, OCI, manifest lists),
which a home-made client would get wrong for some registry. skopeo runs on the machine running
kubexm (pull for the bundle, push when a registry is reachable from there) or on a node
(push inside the air gap). Registry credentials go through an auth file, never through argv.

This module reads archives (refs, manifest digest, platforms), checks their blob digests, and
writes small single- or multi-arch archives from layer tars (test images, and images kubexm
builds itself). It never touches the network.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubexm.errors import ArtifactError, CommandError, CommandTimeout

MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
_INDEX_TYPES = (MEDIA_INDEX, DOCKER_LIST)
# containerd names the image after this annotation on import; the OCI one holds only the tag.
ANNOTATION_CONTAINERD_NAME = "io.containerd.image.name"
ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"
_MAX_JSON_BLOB = 4 * 1024 * 1024
_CHUNK = 1024 * 1024
SKOPEO_HINT = "install skopeo (Debian/Ubuntu: apt-get install skopeo) on the machine running kubexm"


@dataclass(frozen=True)
class OciImageInfo:
    """What an OCI archive holds: its image name, top manifest digest and platforms."""

    ref: str
    digest: str
    arches: tuple[str, ...]


def image_archive_name(ref: str) -> str:
    """File name of an image's archive in a bundle: ``quay.io/calico/node:v3.28.0`` →
    ``quay.io_calico_node_v3.28.0.oci.tar`` (digests keep their hex, ``@sha256:`` → ``_sha256_``).
    """
    return re.sub(r"[^A-Za-z0-9._-]+", "_", ref) + ".oci.tar"


def read_oci_archive(path: Path) -> OciImageInfo:
    """Read an OCI archive's first image: name, manifest digest, architectures.

    Raises ``ArtifactError`` when the file is not a readable OCI archive or references a blob it
    does not contain.
    """
    try:
        with tarfile.open(path, "r:") as archive:
            return _read_layout(archive, path)
    except (OSError, tarfile.TarError, ValueError, KeyError) as exc:
        raise ArtifactError(
            f"{path} is not a readable OCI image archive: {exc}",
            "rebuild it with `skopeo copy docker://<image> oci-archive:<file>`",
        ) from exc


def _read_layout(archive: tarfile.TarFile, path: Path) -> OciImageInfo:
    layout = _json_member(archive, "oci-layout")
    if not isinstance(layout, dict) or "imageLayoutVersion" not in layout:
        raise ValueError("oci-layout is missing or has no imageLayoutVersion")
    index = _json_member(archive, "index.json")
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not manifests:
        raise ValueError("index.json lists no manifests")
    top = manifests[0]
    annotations = top.get("annotations") or {}
    ref = annotations.get(ANNOTATION_CONTAINERD_NAME) or annotations.get(ANNOTATION_REF_NAME, "")
    arches = sorted(set(_platforms(archive, top)))
    return OciImageInfo(ref=str(ref), digest=str(top["digest"]), arches=tuple(arches))


def _platforms(archive: tarfile.TarFile, descriptor: dict[str, Any]) -> list[str]:
    """Architectures reachable from one descriptor (an index recurses into its entries)."""
    media = descriptor.get("mediaType", "")
    blob = _json_member(archive, _blob_name(str(descriptor["digest"])))
    if media in _INDEX_TYPES or blob.get("mediaType") in _INDEX_TYPES:
        found: list[str] = []
        for entry in blob.get("manifests", []):
            platform = entry.get("platform") or {}
            if platform.get("architecture"):
                archive.getmember(_blob_name(str(entry["digest"])))  # KeyError when absent
                found.append(str(platform["architecture"]))
            else:
                found.extend(_platforms(archive, entry))
        return found
    config = _json_member(archive, _blob_name(str(blob["config"]["digest"])))
    return [str(config["architecture"])]


def _blob_name(digest: str) -> str:
    algorithm, _, hexpart = digest.partition(":")
    if algorithm != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", hexpart):
        raise ValueError(f"unsupported digest {digest!r}")
    return f"blobs/sha256/{hexpart}"


def _json_member(archive: tarfile.TarFile, name: str) -> Any:
    member = archive.getmember(name)
    if not member.isfile() or member.size > _MAX_JSON_BLOB:
        raise ValueError(f"{name} is not a small regular file")
    stream = archive.extractfile(member)
    if stream is None:
        raise ValueError(f"{name} cannot be read")
    return json.loads(stream.read())


def verify_oci_archive(path: Path) -> int:
    """Re-hash every blob of an archive against its file name; return how many were checked.

    Raises ``ArtifactError`` naming the first blob whose content does not match its digest, or
    when the file cannot be read.
    """
    checked = 0
    try:
        with tarfile.open(path, "r|") as archive:
            for member in archive:
                if not (member.isfile() and member.name.startswith("blobs/sha256/")):
                    continue
                stream = archive.extractfile(member)
                digest = hashlib.sha256()
                while stream is not None and (chunk := stream.read(_CHUNK)):
                    digest.update(chunk)
                if digest.hexdigest() != member.name.rsplit("/", 1)[1]:
                    raise ArtifactError(
                        f"{path}: blob {member.name} does not match its digest",
                        "the archive is corrupt; pull the image again",
                    )
                checked += 1
    except (OSError, tarfile.TarError) as exc:
        raise ArtifactError(f"cannot read OCI archive {path}: {exc}") from exc
    return checked


def layer_from_files(
    files: Mapping[str, bytes], *, symlinks: Mapping[str, str] | None = None
) -> bytes:
    """An uncompressed layer tar holding ``files`` (path → content, mode 0755) and symlinks.

    Parent directories are added; timestamps are zero so the same input gives the same digest.
    """
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as layer:
        dirs = sorted({str(Path(p).parent) for p in [*files, *(symlinks or {})]} - {"."})
        for name in dirs:
            _add(layer, tarfile.TarInfo(name), mode=0o755, kind=tarfile.DIRTYPE)
        for name, data in sorted(files.items()):
            _add(layer, tarfile.TarInfo(name), mode=0o755, data=data)
        for name, target in sorted((symlinks or {}).items()):
            info = tarfile.TarInfo(name)
            info.linkname = target
            _add(layer, info, mode=0o777, kind=tarfile.SYMTYPE)
    return raw.getvalue()


def _add(
    archive: tarfile.TarFile,
    info: tarfile.TarInfo,
    *,
    mode: int = 0o644,
    kind: bytes = tarfile.REGTYPE,
    data: bytes | None = None,
) -> None:
    info.mode, info.type, info.mtime = mode, kind, 0
    if data is None:
        archive.addfile(info)
        return
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def write_oci_archive(
    out: Path, ref: str, layers: Mapping[str, bytes], *, cmd: Sequence[str] = ("/bin/sh",)
) -> OciImageInfo:
    """Write a one-layer image per architecture (``layers``: arch → layer tar) as an archive.

    One architecture gives ``index.json`` → manifest (what ``ctr images import`` expects for a
    plain image); several give ``index.json`` → image index → one manifest per platform. The
    write goes to a temporary name and is renamed, so a crash leaves no half archive.
    Raises ``OSError`` when ``out`` cannot be written.
    """
    blobs: dict[str, bytes] = {}
    platform_manifests = [
        _image_manifest(blobs, arch, layer, cmd) for arch, layer in sorted(layers.items())
    ]
    if len(platform_manifests) == 1:
        top = platform_manifests[0]
    else:
        top = _descriptor(
            blobs,
            MEDIA_INDEX,
            {"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": platform_manifests},
        )
    tag = ref.rsplit(":", 1)[1] if ":" in ref.rsplit("/", 1)[-1] else "latest"
    top = {**top, "annotations": {ANNOTATION_CONTAINERD_NAME: ref, ANNOTATION_REF_NAME: tag}}
    top.pop("platform", None)
    index = {"schemaVersion": 2, "manifests": [top]}
    partial = out.with_name(out.name + ".part")
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
        _add(archive, tarfile.TarInfo("oci-layout"), data=b'{"imageLayoutVersion":"1.0.0"}')
        _add(archive, tarfile.TarInfo("index.json"), data=json.dumps(index).encode())
        for digest, data in sorted(blobs.items()):
            _add(archive, tarfile.TarInfo(_blob_name(digest)), data=data)
    partial.replace(out)
    return OciImageInfo(ref=ref, digest=str(top["digest"]), arches=tuple(sorted(layers)))


def _descriptor(blobs: dict[str, bytes], media: str, body: Mapping[str, Any]) -> dict[str, Any]:
    data = json.dumps(body, sort_keys=True).encode()
    return _store(blobs, media, data)


def _store(blobs: dict[str, bytes], media: str, data: bytes) -> dict[str, Any]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return {"mediaType": media, "digest": digest, "size": len(data)}


def _image_manifest(
    blobs: dict[str, bytes], arch: str, layer: bytes, cmd: Sequence[str]
) -> dict[str, Any]:
    layer_gz = gzip.compress(layer, mtime=0)
    config = {
        "architecture": arch,
        "os": "linux",
        "config": {"Cmd": list(cmd), "Env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": _descriptor(blobs, MEDIA_CONFIG, config),
        "layers": [_store(blobs, MEDIA_LAYER_GZ, layer_gz)],
    }
    descriptor = _descriptor(blobs, MEDIA_MANIFEST, manifest)
    return {**descriptor, "platform": {"architecture": arch, "os": "linux"}}


def pull_argv(
    source: str, archive: Path, arches: Sequence[str], *, authfile: Path | None = None
) -> list[str]:
    """skopeo command that saves ``source`` as an OCI archive named after ``source``.

    One architecture is copied alone (``--override-arch``); several keep the whole index
    (``--multi-arch all``), because skopeo cannot copy a subset of a manifest list.
    """
    argv = ["skopeo", "copy", "--retry-times", "3"]
    if len(arches) > 1:
        argv += ["--multi-arch", "all"]
    else:
        argv += ["--override-os", "linux", "--override-arch", arches[0]]
    if authfile is not None:
        argv += ["--src-authfile", str(authfile)]
    return [*argv, f"docker://{source}", f"oci-archive:{archive}:{source}"]


def push_argv(
    archive: Path,
    target: str,
    *,
    authfile: Path | None = None,
    tls_verify: bool = True,
    cert_dir: Path | None = None,
) -> list[str]:
    """skopeo command that copies every platform of ``archive`` to ``target`` in a registry.

    ``tls_verify`` False also lets skopeo fall back to plain HTTP; ``cert_dir`` holds the
    registry's CA (``*.crt``) and client certificate (``*.cert`` + ``*.key``).
    """
    argv = ["skopeo", "copy", "--retry-times", "3", "--multi-arch", "all"]
    argv += ["--dest-tls-verify=" + ("true" if tls_verify else "false")]
    if authfile is not None:
        argv += ["--dest-authfile", str(authfile)]
    if cert_dir is not None:
        argv += ["--dest-cert-dir", str(cert_dir)]
    return [*argv, f"oci-archive:{archive}", f"docker://{target}"]


def inspect_argv(
    target: str,
    *,
    authfile: Path | None = None,
    tls_verify: bool = True,
    cert_dir: Path | None = None,
) -> list[str]:
    """skopeo command that prints the raw top manifest of ``target`` in a registry (its bytes
    hash to the digest the registry serves it by)."""
    argv = ["skopeo", "inspect", "--raw", "--tls-verify=" + ("true" if tls_verify else "false")]
    if authfile is not None:
        argv += ["--authfile", str(authfile)]
    if cert_dir is not None:
        argv += ["--cert-dir", str(cert_dir)]
    return [*argv, f"docker://{target}"]


def run_skopeo(argv: Sequence[str], *, timeout: float = 1800.0) -> str:
    """Run one skopeo command on this machine and return its standard output as text.

    Raises ``ArtifactError`` when skopeo is not installed, ``CommandTimeout`` when it runs past
    ``timeout`` seconds (it is killed), and ``CommandError`` with its output when it fails.
    """
    return run_skopeo_bytes(argv, timeout=timeout).decode("utf-8", errors="replace")


def run_skopeo_bytes(argv: Sequence[str], *, timeout: float = 1800.0) -> bytes:
    """Like ``run_skopeo``, but the standard output is returned byte for byte (a manifest
    must be hashed exactly as the registry sent it)."""
    if shutil.which(argv[0]) is None:
        raise ArtifactError(f"{argv[0]} is not installed", SKOPEO_HINT)
    command = " ".join(argv)
    try:
        done = subprocess.run(list(argv), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise CommandTimeout("localhost", command, timeout) from exc
    if done.returncode != 0:
        raise CommandError(
            "localhost",
            command,
            done.returncode,
            done.stdout.decode("utf-8", errors="replace"),
            done.stderr.decode("utf-8", errors="replace"),
            hint="check the image name, the registry's reachability and its credentials",
        )
    return bytes(done.stdout)
