"""build_bundle: layout, manifest, labels, pins, and refusing incomplete input."""

from __future__ import annotations

import dataclasses
import json
import tarfile
from pathlib import Path

import pytest
from resource_bundle_fixtures import ARCHES, IMAGE, Cache, make_cache

from kubexm import __version__
from kubexm.errors import ArtifactError
from kubexm.resource.bundle import build_bundle, package_file_matches
from kubexm.resource.model import FileArtifact, ImageArtifact, OSPackageSet
from kubexm.util.hashing import sha256_file


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return make_cache(tmp_path)


def build(cache: Cache, **kwargs: object) -> Path:
    out = cache.root / "out" / "bundle.tar.gz"
    build_bundle(cache.artifacts, cache.cache_dir, out, **cache.build_kwargs(), **kwargs)
    return out


def names(bundle: Path) -> list[str]:
    with tarfile.open(bundle, "r:gz") as archive:
        return archive.getnames()


def test_bundle_layout_puts_manifest_first_then_every_kind_in_its_folder(cache: Cache) -> None:
    members = names(build(cache))
    assert members[0] == "manifest.json"
    assert "files/etcd/3.5.21/arm64/etcd" in members
    assert "files/kubelet/1.36.4/amd64/kubelet" in members
    assert "images/registry.k8s.io_pause_3.10.oci.tar" in members
    assert "charts/localpv-4.4.0.tgz" in members
    assert "os/debian-12/amd64/socat_1.7.4.4-2_amd64.deb" in members
    assert "os/debian-12/amd64/libwrap0_7.6.q-32_amd64.deb" in members, "dependencies go too"


def test_manifest_records_digests_sizes_labels_and_build_facts(cache: Cache) -> None:
    out = cache.root / "b.tar.gz"
    manifest = build_bundle(
        cache.artifacts,
        cache.cache_dir,
        out,
        **cache.build_kwargs(),
        labels={"kubelet": "stand-in"},
        cluster_name="single",
        kubernetes_version="v1.36.4",
    )
    with tarfile.open(out, "r:gz") as archive:
        on_disk = json.load(archive.extractfile("manifest.json"))
    assert on_disk == json.loads(json.dumps(manifest.to_dict()))
    assert on_disk["schema_version"] == 1 and on_disk["kubexm_version"] == __version__
    assert (on_disk["cluster_name"], on_disk["kubernetes_version"]) == ("single", "v1.36.4")
    etcd = next(f for f in manifest.files if f.component == "etcd" and f.arch == "amd64")
    source = cache.cache_dir / "etcd/3.5.21/amd64/etcd"
    expected = (sha256_file(source), source.stat().st_size, "upstream")
    assert (etcd.sha256, etcd.size, etcd.label) == expected
    assert {f.label for f in manifest.files if f.component == "kubelet"} == {"stand-in"}
    image = manifest.images[0]
    assert image.arches == ARCHES and image.digest.startswith("sha256:")
    assert image.target == "registry.local:5000/pause:3.10"


def test_executables_keep_their_mode(cache: Cache) -> None:
    with tarfile.open(build(cache), "r:gz") as archive:
        assert archive.getmember("files/etcd/3.5.21/amd64/etcd").mode == 0o755
        assert archive.getmember("charts/localpv-4.4.0.tgz").mode == 0o644


def test_every_missing_piece_is_listed_and_nothing_is_written(cache: Cache) -> None:
    (cache.cache_dir / "etcd/3.5.21/arm64/etcd").unlink()
    (cache.cache_dir / "charts/localpv-4.4.0.tgz").unlink()
    extra = OSPackageSet("debian", "12", "amd64", ("socat", "conntrack"))
    image = ImageArtifact("quay.io/x/y:1", "quay.io/x/y:1", "test")
    artifacts = dataclasses.replace(
        cache.artifacts, os_packages=(extra,), images=(*cache.artifacts.images, image)
    )
    out = cache.root / "never.tar.gz"
    with pytest.raises(ArtifactError) as caught:
        build_bundle(artifacts, cache.cache_dir, out, **cache.build_kwargs())
    message = caught.value.message
    assert "4 problems" in message
    assert "etcd/3.5.21/arm64/etcd" in message
    assert "chart localpv 4.4.0" in message
    assert "conntrack" in message and "socat" not in message.split("conntrack")[1]
    assert "image quay.io/x/y:1" in message
    assert not out.exists() and not out.with_name(out.name + ".part").exists()


def test_an_image_without_a_required_arch_is_refused(cache: Cache) -> None:
    image = ImageArtifact(IMAGE, IMAGE, "pause", ("amd64", "s390x"))
    artifacts = dataclasses.replace(cache.artifacts, images=(image,))
    with pytest.raises(ArtifactError, match="no s390x platform"):
        build_bundle(artifacts, cache.cache_dir, cache.root / "b.tar.gz", **cache.build_kwargs())


def test_upstream_file_must_match_its_pin_but_a_stand_in_never_is_checked(cache: Cache) -> None:
    wrong = "0" * 64
    files = tuple(
        dataclasses.replace(f, sha256=wrong) if f.component == "kubelet" else f
        for f in cache.artifacts.files
    )
    artifacts = dataclasses.replace(cache.artifacts, files=files)
    out = cache.root / "b.tar.gz"
    with pytest.raises(ArtifactError, match="pinned upstream digest is 0000"):
        build_bundle(artifacts, cache.cache_dir, out, **cache.build_kwargs())
    manifest = build_bundle(
        artifacts, cache.cache_dir, out, **cache.build_kwargs(), labels={"kubelet": "stand-in"}
    )
    kubelet = next(f for f in manifest.files if f.component == "kubelet")
    assert kubelet.sha256 != wrong


def test_charts_dir_can_be_given(cache: Cache, tmp_path: Path) -> None:
    elsewhere = tmp_path / "helm"
    elsewhere.mkdir()
    (cache.cache_dir / "charts/localpv-4.4.0.tgz").rename(elsewhere / "localpv-4.4.0.tgz")
    assert "charts/localpv-4.4.0.tgz" in names(build(cache, charts_dir=elsewhere))


def test_os_set_without_version_uses_the_os_folder(cache: Cache) -> None:
    folder = cache.os_dir / "debian" / "amd64"
    folder.mkdir(parents=True)
    (folder / "socat_1.7_amd64.deb").write_bytes(b"x")
    artifacts = dataclasses.replace(
        cache.artifacts, os_packages=(OSPackageSet("debian", "", "amd64", ("socat",)),)
    )
    out = cache.root / "b.tar.gz"
    build_bundle(artifacts, cache.cache_dir, out, **cache.build_kwargs())
    assert "os/debian/amd64/socat_1.7_amd64.deb" in names(out)


def test_unknown_os_family_needs_only_one_complete_family(cache: Cache) -> None:
    folder = cache.os_dir / "debian" / "amd64"
    folder.mkdir(parents=True)
    (folder / "socat_1.7_amd64.deb").write_bytes(b"x")
    both = tuple(OSPackageSet(f, "", "amd64", ("socat",)) for f in ("debian", "rhel"))
    out = cache.root / "b.tar.gz"
    manifest = build_bundle(
        dataclasses.replace(cache.artifacts, os_packages=both),
        cache.cache_dir,
        out,
        **cache.build_kwargs(),
    )
    assert [s.os_id for s in manifest.os_packages] == ["debian"]


def test_unknown_os_family_with_no_complete_family_lists_each(cache: Cache) -> None:
    both = tuple(OSPackageSet(f, "", "amd64", ("socat",)) for f in ("debian", "rhel"))
    with pytest.raises(ArtifactError) as caught:
        build_bundle(
            dataclasses.replace(cache.artifacts, os_packages=both),
            cache.cache_dir,
            cache.root / "b.tar.gz",
            **cache.build_kwargs(),
        )
    assert "debian (any version)/amd64: socat" in caught.value.message
    assert "rhel (any version)/amd64: socat" in caught.value.message


def test_skipped_kinds_are_recorded_sorted_in_the_manifest(cache: Cache) -> None:
    out = build(cache, skipped=["os-packages", "charts", "charts"])
    with tarfile.open(out, "r:gz") as archive:
        stream = archive.extractfile("manifest.json")
        assert stream is not None
        assert json.load(stream)["skipped"] == ["charts", "os-packages"]


def test_unwritable_output_is_an_artifact_error(cache: Cache) -> None:
    blocker = cache.root / "file"
    blocker.write_text("x")
    with pytest.raises(ArtifactError, match="cannot write the bundle"):
        build_bundle(cache.artifacts, cache.cache_dir, blocker / "b.tar.gz", **cache.build_kwargs())


def test_no_artifacts_gives_a_bundle_with_only_the_manifest(tmp_path: Path) -> None:
    from kubexm.resource.model import ArtifactSet

    out = tmp_path / "empty.tar.gz"
    manifest = build_bundle(ArtifactSet(), tmp_path, out, images_dir=tmp_path, os_dir=tmp_path)
    assert names(out) == ["manifest.json"] and manifest.files == ()


@pytest.mark.parametrize(
    ("filename", "package", "expected"),
    [
        pytest.param("socat_1.7.4.4-2_amd64.deb", "socat", True, id="deb"),
        pytest.param("socat-dev_1.0_amd64.deb", "socat", False, id="deb-longer-name"),
        pytest.param("conntrack-tools-1.4.7-2.el9.x86_64.rpm", "conntrack-tools", True, id="rpm"),
        pytest.param("conntrack-tools-1.4.7-2.el9.x86_64.rpm", "conntrack", False, id="rpm-pre"),
        pytest.param("socat_1.7.tar", "socat", False, id="other-suffix"),
    ],
)
def test_package_file_matches_by_name_not_prefix(
    filename: str, package: str, expected: bool
) -> None:
    assert package_file_matches(filename, package) is expected


def test_file_artifact_path_in_bundle_mirrors_the_cache() -> None:
    from kubexm.resource.bundle_manifest import file_member

    artifact = FileArtifact("runc", "1.1.5", "arm64", "runc.arm64", "u")
    assert file_member(artifact) == "files/runc/1.1.5/arm64/runc.arm64"
