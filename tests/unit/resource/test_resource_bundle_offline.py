"""open_bundle extracts safely and once; OfflineSource serves only what the bundle holds;
require_complete names everything a bundle lacks and every stand-in it holds."""

from __future__ import annotations

import dataclasses
import io
import re
import tarfile
from pathlib import Path

import pytest
from resource_bundle_fixtures import ARCHES, IMAGE, Cache, content, make_cache

from kubexm.errors import ArtifactError
from kubexm.resource.bundle import build_bundle
from kubexm.resource.bundle_offline import (
    MARKER,
    OfflineSource,
    open_bundle,
    read_manifest,
    require_complete,
)
from kubexm.resource.model import (
    ArtifactSet,
    ChartArtifact,
    FileArtifact,
    ImageArtifact,
    OSPackageSet,
)
from kubexm.resource.oci import read_oci_archive


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return make_cache(tmp_path)


@pytest.fixture
def bundle(cache: Cache) -> Path:
    out = cache.root / "bundle.tar.gz"
    build_bundle(cache.artifacts, cache.cache_dir, out, **cache.build_kwargs())
    return out


def evil_bundle(path: Path, info: tarfile.TarInfo, body: bytes = b"") -> Path:
    with tarfile.open(path, "w:gz") as archive:
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
    return path


def test_open_bundle_extracts_files_with_modes_and_returns_the_manifest(
    bundle: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "x"
    manifest = open_bundle(bundle, dest)
    etcd = dest / "files/etcd/3.5.21/arm64/etcd"
    assert etcd.read_bytes() == content("etcd", "arm64")
    assert etcd.stat().st_mode & 0o777 == 0o755
    assert (dest / "charts/localpv-4.4.0.tgz").stat().st_mode & 0o777 == 0o644
    assert manifest == read_manifest(dest) and len(manifest.files) == 4
    assert (dest / MARKER).is_file()


def test_open_bundle_twice_does_not_extract_again(bundle: Path, tmp_path: Path) -> None:
    dest = tmp_path / "x"
    open_bundle(bundle, dest)
    sentinel = dest / "files/etcd/3.5.21/amd64/etcd"
    sentinel.write_bytes(b"changed after extraction")
    open_bundle(bundle, dest)
    assert sentinel.read_bytes() == b"changed after extraction"


@pytest.mark.parametrize(
    ("name", "kind", "link"),
    [
        pytest.param("../escape", tarfile.REGTYPE, "", id="dotdot"),
        pytest.param("/tmp/abs", tarfile.REGTYPE, "", id="absolute"),
        pytest.param("files/link", tarfile.SYMTYPE, "/etc/passwd", id="symlink-out"),
        pytest.param("files/hard", tarfile.LNKTYPE, "manifest.json", id="hardlink"),
        pytest.param("dev/null", tarfile.CHRTYPE, "", id="device"),
    ],
)
def test_open_bundle_refuses_unsafe_members(
    tmp_path: Path, name: str, kind: bytes, link: str
) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    bad = evil_bundle(tmp_path / "bad.tar.gz", info, b"x" if kind == tarfile.REGTYPE else b"")
    dest = tmp_path / "dest"
    with pytest.raises(ArtifactError, match="not a plain file inside the bundle"):
        open_bundle(bad, dest)
    assert not (tmp_path / "escape").exists() and not Path("/tmp/abs").exists()
    assert not (dest / MARKER).exists()


def test_open_bundle_detects_a_member_that_differs_from_the_manifest(
    bundle: Path, tmp_path: Path
) -> None:
    edited = tmp_path / "edited.tar.gz"
    with tarfile.open(bundle, "r:gz") as src, tarfile.open(edited, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.endswith("localpv-4.4.0.tgz"):
                data, member.size = b"other", 5
            dst.addfile(member, io.BytesIO(data))
    dest = tmp_path / "x"
    with pytest.raises(ArtifactError, match=re.escape("charts/localpv-4.4.0.tgz")):
        open_bundle(edited, dest)
    assert not (dest / MARKER).exists()


def test_open_bundle_of_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="cannot read the bundle"):
        open_bundle(tmp_path / "nope.tar.gz", tmp_path / "x")


def test_open_bundle_of_a_corrupt_file_is_an_artifact_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ArtifactError, match="cannot extract"):
        open_bundle(junk, tmp_path / "x")


def test_read_manifest_of_a_folder_without_one(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=re.escape("no readable manifest.json")):
        read_manifest(tmp_path)


@pytest.fixture
def source(bundle: Path, tmp_path: Path) -> OfflineSource:
    dest = tmp_path / "extracted"
    open_bundle(bundle, dest)
    return OfflineSource.from_dir(dest)


def test_offline_source_serves_files_images_charts_and_packages(source: OfflineSource) -> None:
    etcd = source.file(FileArtifact("etcd", "3.5.21", "amd64", "etcd", "https://never"))
    assert etcd.read_bytes() == content("etcd", "amd64")
    archive = source.image(ImageArtifact(IMAGE, IMAGE, "pause", ARCHES))
    assert read_oci_archive(archive).arches == ARCHES
    assert source.chart(ChartArtifact("localpv", "4.4.0", "r", "p")).name == "localpv-4.4.0.tgz"
    debs = source.os_packages("debian", "12", "amd64")
    assert sorted(p.name for p in debs) == [
        "libwrap0_7.6.q-32_amd64.deb",
        "socat_1.7.4.4-2_amd64.deb",
    ]


@pytest.mark.parametrize(
    ("ask", "what"),
    [
        pytest.param(
            lambda s: s.file(FileArtifact("runc", "1.1.5", "amd64", "runc", "https://x")),
            "file runc/1.1.5/amd64/runc",
            id="file",
        ),
        pytest.param(
            lambda s: s.image(ImageArtifact(IMAGE, IMAGE, "pause", ("s390x",))),
            f"image {IMAGE} for s390x",
            id="image-arch",
        ),
        pytest.param(
            lambda s: s.image(ImageArtifact("quay.io/x:1", "quay.io/x:1", "t")),
            "image quay.io/x:1",
            id="image",
        ),
        pytest.param(
            lambda s: s.chart(ChartArtifact("cilium", "1", "r", "p")), "chart cilium 1", id="chart"
        ),
        pytest.param(
            lambda s: s.os_packages("rocky", "9", "amd64"), "OS packages for rocky 9", id="os"
        ),
    ],
)
def test_offline_source_refuses_anything_not_in_the_bundle(
    source: OfflineSource, ask: object, what: str
) -> None:
    with pytest.raises(ArtifactError, match="not in the offline bundle") as caught:
        ask(source)
    assert what in caught.value.message
    assert "kubexm download" in caught.value.hint


def test_offline_source_notices_a_file_deleted_after_extraction(source: OfflineSource) -> None:
    (source.root / "files/etcd/3.5.21/amd64/etcd").unlink()
    with pytest.raises(ArtifactError, match="missing on disk"):
        source.file(FileArtifact("etcd", "3.5.21", "amd64", "etcd", "u"))


def test_require_complete_accepts_a_bundle_holding_everything(bundle: Path, cache: Cache) -> None:
    manifest = open_bundle(bundle, cache.root / "x")
    require_complete(manifest, cache.artifacts, bundle)


def test_require_complete_names_every_missing_artifact(bundle: Path, cache: Cache) -> None:
    manifest = open_bundle(bundle, cache.root / "x")
    extra_file = FileArtifact("containerd", "2.1.4", "amd64", "containerd.tar.gz", "u")
    extra_image = ImageArtifact("registry.k8s.io/coredns/coredns:v1.12.1", "x", "dns", ("amd64",))
    wanted = dataclasses.replace(
        cache.artifacts,
        files=(*cache.artifacts.files, extra_file),
        images=(*cache.artifacts.images, extra_image),
        os_packages=(OSPackageSet("debian", "12", "amd64", ("socat", "chrony")),),
    )
    with pytest.raises(ArtifactError) as caught:
        require_complete(manifest, wanted, bundle)
    message = caught.value.message
    assert message.startswith(f"the bundle {bundle} lacks 3 artifacts this config needs:")
    assert "file containerd/2.1.4/amd64" in message
    assert "image registry.k8s.io/coredns/coredns:v1.12.1" in message
    assert "chrony" in message
    assert "kubexm bundle verify" in str(caught.value.hint)


def test_require_complete_does_not_ask_for_kinds_skipped_when_built(cache: Cache) -> None:
    out = cache.root / "no-images.tar.gz"
    without = dataclasses.replace(cache.artifacts, images=())
    build_bundle(without, cache.cache_dir, out, skipped=["images"], **cache.build_kwargs())
    manifest = open_bundle(out, cache.root / "x")
    require_complete(manifest, cache.artifacts, out)


def test_require_complete_refuses_stand_ins_unless_allowed(cache: Cache) -> None:
    out = cache.root / "standins.tar.gz"
    build_bundle(
        cache.artifacts,
        cache.cache_dir,
        out,
        **cache.build_kwargs(),
        labels={"kubelet": "stand-in"},
    )
    manifest = open_bundle(out, cache.root / "x")

    with pytest.raises(ArtifactError) as caught:
        require_complete(manifest, cache.artifacts, out)
    require_complete(manifest, cache.artifacts, out, allow_standins=True)

    assert caught.value.message == (
        f"the bundle {out} holds 2 files labelled stand-in, not the upstream release (their "
        "pinned digests are not checked):\n"
        "  kubelet/1.36.4/amd64/kubelet\n  kubelet/1.36.4/arm64/kubelet"
    )
    assert "--allow-standins" in str(caught.value.hint)


def test_require_complete_applies_pins_of_files_it_need_not_demand(
    bundle: Path, cache: Cache
) -> None:
    manifest = open_bundle(bundle, cache.root / "x")
    etcd = dataclasses.replace(cache.artifacts.files[0], sha256="f" * 64)
    absent = FileArtifact("runc", "1.3.0", "amd64", "runc", "u", "e" * 64)

    with pytest.raises(ArtifactError) as caught:
        require_complete(manifest, ArtifactSet(), bundle, pinned=(etcd, absent))

    assert caught.value.message.startswith(f"the bundle {bundle} lacks 1 artifact")
    assert f"file {etcd.cache_path}: sha256" in caught.value.message
    assert "runc" not in caught.value.message
