from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from kubexm.errors import ArtifactError
from kubexm.resource.oci import write_oci_archive
from kubexm.step.runtime.docker_archive import docker_manifest, write_docker_archive

REF = "docker.io/library/bb:1"


def _oci(tmp_path: Path, arches: tuple[str, ...] = ("amd64",)) -> Path:
    out = tmp_path / "bb.oci.tar"
    write_oci_archive(out, REF, {a: f"layer-{a}".encode() for a in arches})
    return out


@pytest.mark.parametrize("arches", [("amd64",), ("amd64", "arm64")], ids=["plain", "index"])
def test_manifest_names_the_arch_config_and_layers(tmp_path: Path, arches: tuple[str, ...]) -> None:
    oci = _oci(tmp_path, arches)
    [entry] = docker_manifest(oci, "reg:5000/bb:1", "amd64")
    assert entry["RepoTags"] == ["reg:5000/bb:1"]
    with tarfile.open(oci) as tar:
        member = tar.extractfile(entry["Config"])
        assert member is not None
        config = json.loads(member.read())
        assert config["architecture"] == "amd64"
        assert all(tar.getmember(layer).isfile() for layer in entry["Layers"])


def test_a_missing_arch_is_an_artifact_error(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="no arm64 image"):
        docker_manifest(_oci(tmp_path, ("amd64", "s390x")), REF, "arm64")


def test_a_file_that_is_no_oci_archive_is_an_artifact_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.oci.tar"
    bad.write_bytes(b"nope")
    with pytest.raises(ArtifactError, match="not a usable OCI image archive"):
        docker_manifest(bad, REF, "amd64")


def test_docker_archive_keeps_the_oci_layout_and_adds_manifest_json(tmp_path: Path) -> None:
    oci = _oci(tmp_path)
    out = write_docker_archive(oci, REF, "amd64", tmp_path / "bb.docker.tar")
    with tarfile.open(oci) as src, tarfile.open(out) as dst:
        names = set(dst.getnames())
        assert set(src.getnames()) | {"manifest.json"} == names
        member = dst.extractfile("manifest.json")
        assert member is not None
        manifest = json.loads(member.read())
    assert manifest == docker_manifest(oci, REF, "amd64")
