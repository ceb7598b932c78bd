"""manifest.json: round trip, members, lookups, and rejecting what this version cannot read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kubexm.errors import ArtifactError
from kubexm.resource.bundle_manifest import (
    BundleChart,
    BundleFile,
    BundleImage,
    BundleManifest,
    BundleOSPackages,
    PackageFile,
    chart_member,
    file_member,
    manifest_from_dict,
    os_dir_member,
    os_label,
)
from kubexm.resource.model import ChartArtifact, FileArtifact, ImageArtifact

ETCD = BundleFile("etcd", "3.5.21", "amd64", "etcd", "files/etcd/3.5.21/amd64/etcd", "a" * 64, 9)
STANDIN = BundleFile(
    "kubelet", "1.36.4", "amd64", "kubelet", "files/k/kubelet", "b" * 64, 3, "stand-in"
)
IMAGE = BundleImage(
    "registry.k8s.io/pause:3.10",
    "reg:5000/pause:3.10",
    ("amd64", "arm64"),
    "images/p.oci.tar",
    "sha256:" + "c" * 64,
    "d" * 64,
    100,
)
CHART = BundleChart("localpv", "4.4.0", "https://r", "charts/localpv-4.4.0.tgz", "e" * 64, 5)
DEBS = BundleOSPackages(
    "debian", "12", "amd64", ("socat",), (PackageFile("os/debian-12/amd64/s.deb", "f" * 64, 2),)
)
MANIFEST = BundleManifest(
    "0.1.0",
    "2026-12-03T17:00:00Z",
    "single",
    "v1.36.4",
    files=(ETCD, STANDIN),
    images=(IMAGE,),
    charts=(CHART,),
    os_packages=(DEBS,),
    arches=("amd64",),
)


def as_data() -> dict[str, Any]:
    return json.loads(json.dumps(MANIFEST.to_dict()))


def test_manifest_survives_a_json_round_trip() -> None:
    assert manifest_from_dict(as_data()) == MANIFEST


def test_members_lists_every_path_with_digest_and_size() -> None:
    assert MANIFEST.members() == {
        ETCD.path: (ETCD.sha256, 9),
        STANDIN.path: (STANDIN.sha256, 3),
        IMAGE.path: (IMAGE.sha256, 100),
        CHART.path: (CHART.sha256, 5),
        "os/debian-12/amd64/s.deb": ("f" * 64, 2),
    }


def test_lookups_find_by_identity_and_images_also_by_target() -> None:
    assert MANIFEST.find_file(FileArtifact("etcd", "3.5.21", "amd64", "etcd", "u")) == ETCD
    assert MANIFEST.find_file(FileArtifact("etcd", "3.5.21", "arm64", "etcd", "u")) is None
    by_target = ImageArtifact("elsewhere/pause:3.10", "reg:5000/pause:3.10", "pause")
    assert MANIFEST.find_image(by_target) == IMAGE
    assert MANIFEST.find_image(ImageArtifact("x", "y", "z")) is None
    assert MANIFEST.find_chart(ChartArtifact("localpv", "4.4.0", "other", "p")) == CHART
    assert MANIFEST.find_os("debian", "12", "amd64") == DEBS
    assert MANIFEST.find_os("debian", "12", "arm64") is None


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        pytest.param(lambda d: d.pop("files"), "files must be a list", id="missing-field"),
        pytest.param(
            lambda d: d.update(files={"a": 1}),
            "manifest.json is not a kubexm bundle manifest: files must be a list",
            id="files-as-object",
        ),
        pytest.param(
            lambda d: d.update(charts=["x"]), "every entry of charts must be an object", id="str"
        ),
        pytest.param(lambda d: d.update(skipped=["docs"]), "skipped must be a list", id="skip"),
        pytest.param(lambda d: d["files"][0].pop("sha256"), "malformed", id="missing-key"),
        pytest.param(lambda d: d["files"][0].update(label="fake"), "malformed", id="bad-label"),
        pytest.param(lambda d: d["images"][0].update(extra=1), "malformed", id="unknown-key"),
        pytest.param(lambda d: d.update(schema_version=2), "not supported", id="new-schema"),
    ],
)
def test_bad_manifests_are_artifact_errors(mutate: Any, match: str) -> None:
    data = as_data()
    mutate(data)
    with pytest.raises(ArtifactError, match=match):
        manifest_from_dict(data)


def test_skipped_kinds_survive_a_round_trip_and_default_to_none() -> None:
    data = as_data()
    assert manifest_from_dict(data).skipped == ()
    data["skipped"] = ["charts", "os-packages"]
    assert manifest_from_dict(data).skipped == ("charts", "os-packages")
    del data["skipped"]  # manifests written before the field existed still read
    assert manifest_from_dict(data).skipped == ()


@pytest.mark.parametrize(
    ("os_id", "version", "expected"),
    [
        pytest.param("debian", "12", "debian-12", id="versioned"),
        pytest.param("debian", "", "debian (any version)", id="family-only"),
    ],
)
def test_os_label_names_an_unknown_version_readably(
    os_id: str, version: str, expected: str
) -> None:
    assert os_label(os_id, version) == expected


def test_non_object_manifest_is_rejected() -> None:
    with pytest.raises(ArtifactError, match="not a JSON object"):
        manifest_from_dict([1, 2])


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        pytest.param("12", "os/debian-12/arm64", id="versioned"),
        pytest.param("", "os/debian/arm64", id="unknown-version"),
    ],
)
def test_os_dir_member(version: str, expected: str) -> None:
    assert os_dir_member("debian", version, "arm64") == expected


def test_member_paths_of_files_and_charts() -> None:
    assert file_member(FileArtifact("etcd", "3.6", "amd64", "e.tgz", "u")) == (
        "files/etcd/3.6/amd64/e.tgz"
    )
    assert chart_member(ChartArtifact("cilium", "1.15.7", "r", "p")) == "charts/cilium-1.15.7.tgz"
