"""stage_bundle checks a bundle completely before any of it reaches the artifact cache; a
refused bundle and a dry run leave the cache byte for byte as it was."""

from __future__ import annotations

import dataclasses
import io
import os
import tarfile
from pathlib import Path

import pytest
from resource_bundle_fixtures import Cache, content, make_cache, smuggle
from tree_digest import tree_digest

from kubexm.errors import ArtifactError
from kubexm.resource import cache_verify
from kubexm.resource.bundle import build_bundle
from kubexm.resource.bundle_stage import STAGE_PREFIX, stage_bundle, staged_bundle
from kubexm.resource.model import ArtifactSet

ETCD = "files/etcd/3.5.21/amd64/etcd"


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return make_cache(tmp_path / "src")


@pytest.fixture
def bundle(cache: Cache) -> Path:
    out = cache.root / "bundle.tar.gz"
    build_bundle(cache.artifacts, cache.cache_dir, out, **cache.build_kwargs())
    return out


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    """The cache of a work dir that already holds a good etcd (the user's report)."""
    folder = tmp_path / "work" / "c1" / "artifacts"
    etcd = folder / ETCD.removeprefix("files/")
    etcd.parent.mkdir(parents=True)
    etcd.write_bytes(content("etcd", "amd64"))
    (folder / "notes.txt").write_text("kept as it is")
    return folder


def leftovers(work: Path) -> list[str]:
    return sorted(p.name for p in work.glob(f"{STAGE_PREFIX}*"))


def bad_etcd(bundle: Path, label: str) -> Path:
    return smuggle(
        bundle, bundle.with_name(f"bad-{label}.tar.gz"), ETCD, b"#!/bin/sh\nevil\n", label
    )


def test_stage_bundle_places_every_member_where_the_deploy_steps_read(
    bundle: Path, cache: Cache, tmp_path: Path
) -> None:
    artifacts = tmp_path / "work" / "artifacts"

    staged = stage_bundle(bundle, artifacts, cache.artifacts)

    for entry in staged.manifest.files:
        placed = artifacts / entry.path.removeprefix("files/")
        assert placed.read_bytes() == (artifacts / ".bundle" / entry.path).read_bytes()
    for image in staged.manifest.images:
        assert (artifacts / image.path).is_file()
    assert staged.manifest.files and staged.manifest.images
    assert staged.artifacts == artifacts and staged.standins == ()
    assert leftovers(artifacts.parent) == []


def test_stage_bundle_twice_changes_nothing_and_replaces_stale_files(
    bundle: Path, cache: Cache, tmp_path: Path
) -> None:
    artifacts = tmp_path / "artifacts"
    staged = stage_bundle(bundle, artifacts, cache.artifacts)
    placed = artifacts / staged.manifest.files[0].path.removeprefix("files/")
    inode = placed.stat().st_ino
    stage_bundle(bundle, artifacts, cache.artifacts)
    assert placed.stat().st_ino == inode

    placed.unlink()
    placed.write_bytes(b"stale")
    stage_bundle(bundle, artifacts, cache.artifacts)

    assert placed.read_bytes() != b"stale"


def test_stage_bundle_names_an_unwritable_artifacts_folder(
    bundle: Path, cache: Cache, tmp_path: Path
) -> None:
    artifacts = tmp_path / "artifacts"
    stage_bundle(bundle, artifacts, cache.artifacts)
    blocker = artifacts / "images"
    for child in blocker.iterdir():
        child.unlink()
    blocker.rmdir()
    blocker.write_text("a file where a folder should be")

    with pytest.raises(ArtifactError, match="cannot place bundle member"):
        stage_bundle(bundle, artifacts, cache.artifacts)


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
@pytest.mark.parametrize(
    ("refusal", "match"),
    [
        pytest.param("pin", "differs from the pinned", id="pin-differs"),
        pytest.param("stand-in", "labelled stand-in", id="stand-in-label"),
        pytest.param("missing", "lacks 1 artifact", id="incomplete"),
        pytest.param("corrupt", "missing or corrupt", id="member-differs"),
    ],
)
def test_a_refused_bundle_leaves_the_cache_byte_identical(
    bundle: Path, cache: Cache, artifacts: Path, refusal: str, match: str, dry_run: bool
) -> None:
    required = cache.artifacts
    if refusal == "missing":
        required = dataclasses.replace(
            required, files=(*required.files, dataclasses.replace(required.files[0], arch="ppc"))
        )
    bad = {
        "pin": lambda: bad_etcd(bundle, "upstream"),
        "stand-in": lambda: bad_etcd(bundle, "stand-in"),
        "missing": lambda: bundle,
        "corrupt": lambda: _corrupt(bundle),
    }[refusal]()
    before = tree_digest(artifacts)

    with (
        pytest.raises(ArtifactError, match=match),
        staged_bundle(bad, artifacts, required, dry_run=dry_run),
    ):
        pytest.fail("a refused bundle yields nothing")

    assert tree_digest(artifacts) == before
    assert leftovers(artifacts.parent) == []


def _corrupt(bundle: Path) -> Path:
    """A bundle whose etcd member differs from the digest its manifest lists."""
    out = bundle.with_name("corrupt.tar.gz")
    with tarfile.open(bundle, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for info in src.getmembers():
            stream = src.extractfile(info)
            body = b"evil" if info.name == ETCD else stream.read() if stream else b""
            info.size = len(body)
            dst.addfile(info, io.BytesIO(body))
    return out


def test_a_dry_run_reads_a_temporary_view_and_leaves_the_cache_byte_identical(
    bundle: Path, cache: Cache, artifacts: Path
) -> None:
    before = tree_digest(artifacts)

    with staged_bundle(bundle, artifacts, cache.artifacts, dry_run=True) as staged:
        view = staged.artifacts
        assert view != artifacts and view.parent.parent == artifacts.parent
        assert (view / "kubelet/1.36.4/arm64/kubelet").read_bytes() == content("kubelet", "arm64")
        assert tree_digest(artifacts) == before

    assert not view.exists() and leftovers(artifacts.parent) == []
    assert tree_digest(artifacts) == before


def test_a_dry_run_of_a_bundle_already_staged_reads_the_cache_itself(
    bundle: Path, cache: Cache, artifacts: Path
) -> None:
    stage_bundle(bundle, artifacts, cache.artifacts)
    before = tree_digest(artifacts)

    with staged_bundle(bundle, artifacts, cache.artifacts, dry_run=True) as staged:
        assert staged.artifacts == artifacts

    assert tree_digest(artifacts) == before


def test_stand_ins_are_staged_only_when_allowed_and_are_named(
    bundle: Path, cache: Cache, artifacts: Path
) -> None:
    tampered = bad_etcd(bundle, "stand-in")

    with pytest.raises(ArtifactError) as caught:
        stage_bundle(tampered, artifacts, cache.artifacts)
    staged = stage_bundle(tampered, artifacts, cache.artifacts, allow_standins=True)

    assert "etcd/3.5.21/amd64/etcd" in caught.value.message
    assert "--allow-standins" in str(caught.value.hint)
    assert staged.standins == ("etcd/3.5.21/amd64/etcd",)
    assert (artifacts / ETCD.removeprefix("files/")).read_bytes() == b"#!/bin/sh\nevil\n"
    with pytest.raises(ArtifactError, match="stand-in"):
        stage_bundle(tampered, artifacts, cache.artifacts)  # staged once is not allowed twice


def test_a_second_stage_hashes_nothing(
    bundle: Path, cache: Cache, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage_bundle(bundle, artifacts, cache.artifacts)

    def no_hashing(path: object) -> str:
        raise AssertionError(f"hashed {path} again")

    monkeypatch.setattr(cache_verify, "sha256_file", no_hashing)
    stage_bundle(bundle, artifacts, cache.artifacts)
    cache_verify.check_cached_files(artifacts, cache.artifacts.files)


def test_a_member_changed_after_staging_is_extracted_again(
    bundle: Path, cache: Cache, artifacts: Path
) -> None:
    stage_bundle(bundle, artifacts, cache.artifacts)
    placed = artifacts / ETCD.removeprefix("files/")
    with placed.open("r+b") as stream:  # in place: the .bundle copy is the same inode
        stream.write(b"#!")
        stream.write(b"/bin/evil\n")
    os.utime(placed, ns=(1, 1))

    stage_bundle(bundle, artifacts, cache.artifacts)

    assert placed.read_bytes() == content("etcd", "amd64")
    assert (artifacts / ".bundle" / ETCD).read_bytes() == content("etcd", "amd64")


def test_staging_folders_of_runs_no_longer_running_are_removed(
    bundle: Path, cache: Cache, artifacts: Path
) -> None:
    work = artifacts.parent
    (work / f"{STAGE_PREFIX}999999999-dead").mkdir()  # beyond pid_max: not running
    (work / f"{STAGE_PREFIX}{os.getpid()}-alive").mkdir()

    stage_bundle(bundle, artifacts, cache.artifacts)

    assert leftovers(work) == [f"{STAGE_PREFIX}{os.getpid()}-alive"]


def test_only_the_images_can_be_required_while_pins_still_apply(
    bundle: Path, cache: Cache, artifacts: Path
) -> None:
    images_only = ArtifactSet(images=cache.artifacts.images)
    pinned = [dataclasses.replace(cache.artifacts.files[0], sha256="f" * 64)]

    with pytest.raises(ArtifactError, match="differs from the pinned"):
        stage_bundle(bundle, artifacts, images_only, pinned=pinned)
    staged = stage_bundle(bundle, artifacts, images_only, pinned=cache.artifacts.files)

    assert staged.manifest.images
