"""verify_bundle: every missing or altered piece is named; unreadable bundles are errors."""

from __future__ import annotations

import dataclasses
import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from resource_bundle_fixtures import IMAGE, Cache, make_cache, smuggle

from kubexm.errors import ArtifactError
from kubexm.resource.bundle import build_bundle
from kubexm.resource.bundle_verify import (
    VerifyProblem,
    VerifyReport,
    is_safe_name,
    missing_from,
    verify_bundle,
)
from kubexm.resource.model import (
    ArtifactSet,
    ChartArtifact,
    FileArtifact,
    ImageArtifact,
    OSPackageSet,
)

Edit = Callable[[tarfile.TarInfo, bytes], tuple[tarfile.TarInfo, bytes] | None]


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return make_cache(tmp_path)


@pytest.fixture
def bundle(cache: Cache) -> Path:
    out = cache.root / "bundle.tar.gz"
    build_bundle(
        cache.artifacts,
        cache.cache_dir,
        out,
        **cache.build_kwargs(),
        labels={"kubelet": "stand-in"},
    )
    return out


def verify(path: Path, required: ArtifactSet, skip: tuple[str, ...] = ()) -> VerifyReport:
    """``verify_bundle`` as for a test bundle: the fixture's kubelet is labelled stand-in
    (the stand-in tests at the end call ``verify_bundle`` itself)."""
    return verify_bundle(path, required, skip, allow_standins=True)


def repack(bundle: Path, edit: Edit) -> Path:
    """A copy of ``bundle`` with each member passed through ``edit`` (None drops it)."""
    out = bundle.with_name("edited.tar.gz")
    with tarfile.open(bundle, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else b""
            kept = edit(member, data)
            if kept is not None:
                info, body = kept
                info.size = len(body)
                dst.addfile(info, io.BytesIO(body))
    return out


def problems(report_problems: tuple[VerifyProblem, ...]) -> list[str]:
    return [str(p) for p in report_problems]


def test_complete_bundle_passes_and_counts_what_it_hashed(bundle: Path, cache: Cache) -> None:
    report = verify(bundle, cache.artifacts)
    assert report.ok, problems(report.problems)
    assert report.members_checked == 9  # manifest, 4 files, image, chart, 2 debs
    assert report.bytes_checked > 0
    assert report.manifest.arches == ("amd64", "arm64")


def test_removed_file_is_named_as_missing_from_the_archive(bundle: Path, cache: Cache) -> None:
    dropped = "files/etcd/3.5.21/arm64/etcd"
    edited = repack(bundle, lambda m, d: None if m.name == dropped else (m, d))
    report = verify(edited, cache.artifacts)
    assert not report.ok
    assert problems(report.problems) == [
        f"member {dropped}: listed in the manifest but not in the archive"
    ]


def test_an_arch_the_config_needs_but_the_bundle_lacks_is_named(bundle: Path, cache: Cache) -> None:
    riscv = [
        FileArtifact("etcd", "3.5.21", "riscv64", "etcd", "u"),
        FileArtifact("kubelet", "1.36.4", "riscv64", "kubelet", "u"),
    ]
    image = ImageArtifact(IMAGE, IMAGE, "pause", ("amd64", "riscv64"))
    required = ArtifactSet(files=(*cache.artifacts.files, *riscv), images=(image,))
    found = problems(verify(bundle, required).problems)
    assert found == [
        "file etcd/3.5.21/riscv64/etcd: not in the bundle (needed for riscv64)",
        "file kubelet/1.36.4/riscv64/kubelet: not in the bundle (needed for riscv64)",
        f"image {IMAGE}: no platform for riscv64",
    ]


def test_altered_content_is_caught_by_rehashing(bundle: Path, cache: Cache) -> None:
    target = "charts/localpv-4.4.0.tgz"
    edited = repack(bundle, lambda m, d: (m, b"tampered!" if m.name == target else d))
    found = problems(verify(edited, cache.artifacts).problems)
    assert len(found) == 1 and found[0].startswith(f"member {target}: content differs")


def test_missing_chart_image_and_os_package_are_each_named(bundle: Path, cache: Cache) -> None:
    required = dataclasses.replace(
        cache.artifacts,
        images=(ImageArtifact("quay.io/calico/node:v3", "x", "cni"),),
        charts=(ChartArtifact("cilium", "1.15.7", "r", "cni"),),
        os_packages=(
            OSPackageSet("debian", "12", "amd64", ("socat", "ipset")),
            OSPackageSet("rocky", "9", "amd64", ("socat",)),
        ),
    )
    assert problems(verify(bundle, required).problems) == [
        "image quay.io/calico/node:v3: not in the bundle",
        "chart cilium 1.15.7: not in the bundle",
        "os-package debian-12/amd64 ipset: not in the bundle",
        "os-package rocky-9/amd64 socat: not in the bundle",
    ]


def test_pin_is_applied_to_upstream_files_only(bundle: Path, cache: Cache) -> None:
    wrong = "f" * 64
    files = tuple(dataclasses.replace(f, sha256=wrong) for f in cache.artifacts.files)
    found = problems(verify(bundle, ArtifactSet(files=files)).problems)
    assert [p.split(":")[0] for p in found] == [
        "file etcd/3.5.21/amd64/etcd",
        "file etcd/3.5.21/arm64/etcd",
    ], "kubelet is a stand-in and is never compared with the upstream pin"


def test_symlink_member_is_reported_as_unsafe(bundle: Path, cache: Cache) -> None:
    def add_link(member: tarfile.TarInfo, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
        if member.name == "charts/localpv-4.4.0.tgz":
            link = tarfile.TarInfo("files/evil")
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
            return link, b""
        return member, data

    found = problems(verify(repack(bundle, add_link), cache.artifacts).problems)
    assert "member files/evil: unsafe entry (link or path)" in found


@pytest.mark.parametrize(
    ("content", "match"),
    [
        pytest.param(b"plain text", "cannot read the bundle", id="not-gzip"),
        pytest.param(None, "has no manifest.json", id="no-manifest"),
        pytest.param(b"{not json", "not valid JSON", id="bad-json"),
        pytest.param(b'{"schema_version": 99}', "schema_version 99", id="future-schema"),
    ],
)
def test_unreadable_bundles_raise_artifact_error(
    tmp_path: Path, content: bytes | None, match: str
) -> None:
    out = tmp_path / "b.tar.gz"
    if content == b"plain text":
        out.write_bytes(content)
    else:
        with tarfile.open(out, "w:gz") as archive:
            name, body = ("other", b"x") if content is None else ("manifest.json", content)
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    with pytest.raises(ArtifactError, match=match):
        verify(out, ArtifactSet())


def test_truncated_bundle_is_an_artifact_error(bundle: Path, cache: Cache) -> None:
    cut = bundle.with_name("cut.tar.gz")
    cut.write_bytes(bundle.read_bytes()[: bundle.stat().st_size // 2])
    with pytest.raises(ArtifactError, match="truncated"):
        verify(cut, cache.artifacts)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        pytest.param("files/etcd/3.5/amd64/etcd", True, id="plain"),
        pytest.param("/etc/passwd", False, id="absolute"),
        pytest.param("files/../../etc/passwd", False, id="dotdot"),
        pytest.param("C:/windows", False, id="drive"),
        pytest.param("", False, id="empty"),
        pytest.param("files/a..b", True, id="dots-inside-name"),
    ],
)
def test_is_safe_name(name: str, safe: bool) -> None:
    assert is_safe_name(name) is safe


def test_kinds_left_out_when_built_are_not_reported_missing(cache: Cache) -> None:
    out = cache.root / "lean.tar.gz"
    lean = dataclasses.replace(cache.artifacts, charts=(), os_packages=())
    build_bundle(lean, cache.cache_dir, out, **cache.build_kwargs(), skipped=["charts"])
    report = verify(out, cache.artifacts)
    assert report.left_out == ("charts",)
    assert problems(report.problems) == ["os-package debian-12/amd64 socat: not in the bundle"], (
        "only the kind recorded as skipped is excused"
    )


def test_skip_argument_excuses_a_kind_the_bundle_lacks(cache: Cache) -> None:
    out = cache.root / "lean.tar.gz"
    lean = dataclasses.replace(cache.artifacts, images=())
    build_bundle(lean, cache.cache_dir, out, **cache.build_kwargs())
    assert not verify(out, cache.artifacts).ok
    report = verify(out, cache.artifacts, skip=("images",))
    assert report.ok, problems(report.problems)
    assert (report.left_out, report.not_checked) == ((), ("images",))


def family_sets(*packages: str) -> tuple[OSPackageSet, ...]:
    return tuple(OSPackageSet(family, "", "amd64", packages) for family in ("debian", "rhel"))


def test_unknown_os_family_is_satisfied_by_any_one_complete_family(
    bundle: Path, cache: Cache
) -> None:
    required = dataclasses.replace(cache.artifacts, os_packages=family_sets("socat"))
    report = verify(bundle, required)
    assert report.ok, "the bundle's debian-12 set is a complete debian family"


def test_unknown_os_family_with_no_complete_family_names_each_readably(
    bundle: Path, cache: Cache
) -> None:
    required = dataclasses.replace(cache.artifacts, os_packages=family_sets("chrony", "socat"))
    assert problems(verify(bundle, required).problems) == [
        "os-package debian (any version)/amd64 chrony: not in the bundle (any one OS family "
        "would do)",
        "os-package rhel (any version)/amd64 chrony: not in the bundle (any one OS family "
        "would do)",
        "os-package rhel (any version)/amd64 socat: not in the bundle (any one OS family would do)",
    ]


def test_problem_to_dict_has_separate_fields(bundle: Path, cache: Cache) -> None:
    required = ArtifactSet(
        files=(FileArtifact("etcd", "3.5.21", "s390x", "etcd", "u"),),
        os_packages=(OSPackageSet("debian", "12", "amd64", ("ipset",)),),
    )
    found = [p.to_dict() for p in verify(bundle, required).problems]
    assert found == [
        {
            "kind": "file",
            "name": "etcd",
            "version": "3.5.21",
            "arch": "s390x",
            "reason": "not in the bundle (needed for s390x)",
            "item": "etcd/3.5.21/s390x/etcd",
        },
        {
            "kind": "os-package",
            "name": "ipset",
            "version": "debian-12",
            "arch": "amd64",
            "reason": "not in the bundle",
            "item": "debian-12/amd64 ipset",
        },
    ]


def test_missing_from_judges_the_manifest_alone(bundle: Path, cache: Cache) -> None:
    manifest = verify(bundle, cache.artifacts).manifest
    assert missing_from(manifest, cache.artifacts) == []
    chart = ChartArtifact("other", "1.0.0", "https://c.example", "x")
    wanted = dataclasses.replace(cache.artifacts, charts=(*cache.artifacts.charts, chart))
    (problem,) = missing_from(manifest, wanted)
    assert (problem.kind, problem.item, problem.reason) == (
        "chart",
        "other 1.0.0",
        "not in the bundle",
    )


# ---------------------------------------------------------------- stand-ins


def test_stand_ins_are_problems_unless_allowed_and_are_listed_either_way(
    bundle: Path, cache: Cache
) -> None:
    refused = verify_bundle(bundle, cache.artifacts)
    allowed = verify_bundle(bundle, cache.artifacts, allow_standins=True)

    kubelets = ("kubelet/1.36.4/amd64/kubelet", "kubelet/1.36.4/arm64/kubelet")
    assert [(p.kind, p.item) for p in refused.problems] == [("stand-in", k) for k in kubelets]
    assert all("--allow-standins" in p.reason for p in refused.problems)
    assert allowed.ok and allowed.standins == refused.standins == kubelets


def test_a_tampered_label_cannot_carry_a_file_past_its_pin(cache: Cache) -> None:
    """The user's report: a pinned file swapped for a script, its entry relabelled stand-in
    and its digest rewritten, so every member agrees with the manifest."""
    good = cache.root / "good.tar.gz"
    build_bundle(cache.artifacts, cache.cache_dir, good, **cache.build_kwargs())
    member = "files/etcd/3.5.21/amd64/etcd"
    tampered = smuggle(good, cache.root / "tampered.tar.gz", member, b"#!/bin/sh\nevil\n")

    refused = verify_bundle(tampered, cache.artifacts)
    accepted = verify_bundle(tampered, cache.artifacts, allow_standins=True)

    assert problems(refused.problems) == [
        "stand-in etcd/3.5.21/amd64/etcd: labelled stand-in, a test substitute whose pinned "
        "digest is not checked; pass --allow-standins to accept it (test bundles only)"
    ]
    assert accepted.ok and accepted.standins == ("etcd/3.5.21/amd64/etcd",)
    relabelled = smuggle(good, cache.root / "t2.tar.gz", member, b"evil", label="upstream")
    assert [p.kind for p in verify_bundle(relabelled, cache.artifacts).problems] == ["file"]
