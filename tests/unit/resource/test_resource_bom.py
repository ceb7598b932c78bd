"""The packaged BOM and checksums: same content as shared/data, typed accessors."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from kubexm.common import versions as common_versions
from kubexm.errors import ArtifactError
from kubexm.resource import bom
from kubexm.util.yamlio import load_yaml_plain

SHARED = Path("/work/shared/data")
PACKAGED = Path(bom.__file__).parent / "data"


@pytest.mark.parametrize("name", ["bom.yaml", "checksums.yaml"], ids=["bom", "checksums"])
def test_packaged_data_matches_shared_copy_when_present(name: str) -> None:
    packaged = (PACKAGED / name).read_text(encoding="utf-8")
    if not (SHARED / name).is_file():
        pytest.skip("shared/data is not on this machine")
    assert packaged == (SHARED / name).read_text(encoding="utf-8")


def test_load_bom_is_parsed_once_and_cached() -> None:
    assert bom.load_bom() is bom.load_bom()
    assert bom.load_checksums() is bom.load_checksums()


def test_supported_minors_agree_with_common_versions() -> None:
    assert bom.supported_minors() == common_versions.SUPPORTED_KUBERNETES_MINORS
    assert bom.default_minor() == common_versions.DEFAULT_KUBERNETES_MINOR
    for minor, patch in common_versions.KUBERNETES_DEFAULT_PATCH.items():
        assert bom.default_versions(minor)["kubernetes"] == patch


@pytest.mark.parametrize(
    ("version", "key", "expected"),
    [
        ("v1.36.4", "etcd", "3.6.14"),
        ("1.35.0", "pause_image_tag", "3.10.1"),
        ("v1.34.11", "etcd", "3.5.33"),
        ("1.34", "crio", "1.34.11"),
    ],
    ids=["etcd-136", "pause-135", "etcd-134", "crio-bare-minor"],
)
def test_default_versions_follow_the_minor(version: str, key: str, expected: str) -> None:
    assert bom.default_versions(version)[key] == expected


def test_default_versions_rejects_a_minor_without_entry() -> None:
    with pytest.raises(ArtifactError) as caught:
        bom.default_versions("v1.30.2")
    assert "1.30" in caught.value.message
    assert "1.36, 1.35, 1.34" in caught.value.hint


def test_minor_of_rejects_garbage() -> None:
    with pytest.raises(ArtifactError, match="not a version"):
        bom.minor_of("latest")


@pytest.mark.parametrize(
    ("component", "version", "arch", "prefix"),
    [
        ("kubelet", "v1.36.4", "amd64", "cf2562db"),
        ("kubelet", "1.36.4", "amd64", "cf2562db"),
    ],
    ids=["with-v", "without-v"],
)
def test_pinned_sha256_finds_pins(component: str, version: str, arch: str, prefix: str) -> None:
    digest = bom.pinned_sha256(component, version, arch)
    assert digest is not None
    assert digest.startswith(prefix)


@pytest.mark.parametrize(
    ("component", "version", "arch"),
    [
        ("kube-apiserver", "1.36.4", "amd64"),
        ("kubelet", "1.99.0", "amd64"),
        ("kubelet", "1.36.4", "riscv64"),
    ],
    ids=["unpinned-component", "unknown-version", "unknown-arch"],
)
def test_pinned_sha256_is_none_without_pin(component: str, version: str, arch: str) -> None:
    assert bom.pinned_sha256(component, version, arch) is None


def test_every_bom_default_binary_has_pins_for_both_arches() -> None:
    keys = {
        "kubernetes": ["kubelet", "kubeadm", "kubectl"],
        "etcd": ["etcd"],
        "containerd": ["containerd"],
        "runc": ["runc"],
        "crictl": ["crictl"],
        "cni_plugins": ["cni-plugins"],
        "helm": ["helm"],
        "cri_dockerd": ["cri-dockerd"],
        "crio": ["cri-o"],
        "docker_static": ["docker"],
        "calico": ["calicoctl"],
    }
    for minor in bom.supported_minors():
        versions = bom.default_versions(minor)
        for key, components in keys.items():
            for component in components:
                for arch in ("amd64", "arm64"):
                    assert bom.pinned_sha256(component, versions[key], arch), (minor, component)


def test_every_pin_is_64_lowercase_hex() -> None:
    pattern = re.compile(r"^[0-9a-f]{64}$")
    for by_arch in bom.load_checksums().values():
        for by_version in by_arch.values():
            assert all(pattern.match(str(value)) for value in by_version.values())


def test_image_repository_and_tag_lookups() -> None:
    assert bom.image_repository("pause") == "registry.k8s.io/pause"
    assert bom.image_tag("kube_vip") == "v1.0.3"


@pytest.mark.parametrize("call", [bom.image_repository, bom.image_tag], ids=["repository", "tag"])
def test_image_lookups_reject_unknown_keys(call: Callable[[str], str]) -> None:
    with pytest.raises(ArtifactError, match="no image"):
        call("nope")


def test_url_templates_use_version_without_v() -> None:
    templates = bom.url_templates()
    assert templates["kubelet"] == "https://dl.k8s.io/release/v{version}/bin/linux/{arch}/kubelet"
    assert all("{version}" in template for template in templates.values())


def test_chart_version_lookup() -> None:
    assert bom.chart_version("kubespray", "cilium") == "1.20.1"
    assert bom.chart_version("kubekey", "missing") is None
    assert bom.chart_version("nobody", "cilium") is None


@pytest.mark.parametrize(
    ("text", "expected"), [("v1.2.3", "1.2.3"), ("1.2.3", "1.2.3"), (" V3.5 ", "3.5")]
)
def test_strip_v(text: str, expected: str) -> None:
    assert bom.strip_v(text) == expected


def test_load_data_reports_missing_file_as_artifact_error() -> None:
    with pytest.raises(ArtifactError, match=r"absent\.yaml") as caught:
        bom.load_data("absent.yaml")
    assert caught.value.hint == "reinstall kubexm"


def test_load_data_parses_plain_yaml() -> None:
    text = (PACKAGED / "mirrors.yaml").read_text(encoding="utf-8")
    assert bom.load_data("mirrors.yaml") == load_yaml_plain(text)
