"""Download URLs per zone, zone selection, and image rewrites."""

from __future__ import annotations

import pytest

from kubexm.apis.v1alpha1.registry import Mirroring
from kubexm.common import images as common_images
from kubexm.errors import ArtifactError
from kubexm.resource import urls
from kubexm.resource.bom import url_templates

QS = "https://kubernetes-release.pek3b.qingstor.com"


@pytest.mark.parametrize(
    ("component", "version", "arch", "expected"),
    [
        (
            "kubelet",
            "v1.36.4",
            "amd64",
            "https://dl.k8s.io/release/v1.36.4/bin/linux/amd64/kubelet",
        ),
        (
            "etcd",
            "3.6.14",
            "aarch64",
            "https://github.com/etcd-io/etcd/releases/download/v3.6.14/"
            "etcd-v3.6.14-linux-arm64.tar.gz",
        ),
        (
            "docker",
            "24.0.9",
            "arm64",
            "https://download.docker.com/linux/static/stable/aarch64/docker-24.0.9.tgz",
        ),
        (
            "runc",
            "1.4.3",
            "x86_64",
            "https://github.com/opencontainers/runc/releases/download/v1.4.3/runc.amd64",
        ),
    ],
    ids=["kubelet-v-prefix", "etcd-arm64-alias", "docker-arch-alt", "runc-x86_64"],
)
def test_download_url_upstream(component: str, version: str, arch: str, expected: str) -> None:
    assert urls.download_url(component, version, arch) == expected


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        ("kubeadm", f"{QS}/release/v1.36.4/bin/linux/arm64/kubeadm"),
        (
            "docker",
            "https://mirrors.aliyun.com/docker-ce/linux/static/stable/aarch64/docker-1.36.4.tgz",
        ),
        (
            "cni-plugins",
            "https://containernetworking.pek3b.qingstor.com/plugins/releases/download/v1.36.4/"
            "cni-plugins-linux-arm64-v1.36.4.tgz",
        ),
        ("cri-o", "https://storage.googleapis.com/cri-o/artifacts/cri-o.arm64.v1.36.4.tar.gz"),
    ],
    ids=["kubeadm-qingstor", "docker-aliyun", "cni-bucket", "cri-o-falls-back-upstream"],
)
def test_download_url_cn_zone(component: str, expected: str) -> None:
    assert urls.download_url(component, "1.36.4", "arm64", urls.ZONE_CN) == expected


def test_cn_mirror_keeps_the_upstream_file_name_for_every_component() -> None:
    for component in url_templates():
        upstream = urls.download_url(component, "1.2.3", "amd64")
        mirror = urls.download_url(component, "1.2.3", "amd64", urls.ZONE_CN)
        assert urls.file_name(upstream) == urls.file_name(mirror), component


def test_unknown_component_is_artifact_error_with_hint() -> None:
    with pytest.raises(ArtifactError, match="no download URL for 'isula'") as caught:
        urls.download_url("isula", "2.1.0", "amd64")
    assert caught.value.hint


def test_unknown_arch_is_artifact_error() -> None:
    with pytest.raises(ArtifactError, match="unsupported architecture 'riscv64'"):
        urls.download_url("kubelet", "1.36.4", "riscv64")


@pytest.mark.parametrize(
    ("env", "config", "expected"),
    [
        ({}, "", ""),
        ({}, "cn", "cn"),
        ({"KXZONE": "CN"}, "", "cn"),
        ({"KXZONE": "cn"}, None, "cn"),
        ({"KXZONE": ""}, "cn", "cn"),
    ],
    ids=["none", "config-cn", "env-uppercase", "env-without-config", "empty-env-ignored"],
)
def test_effective_zone(env: dict[str, str], config: str | None, expected: str) -> None:
    assert urls.effective_zone(config, env) == expected


def test_effective_zone_reads_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KXZONE", "cn")
    assert urls.effective_zone("") == "cn"


def test_effective_zone_rejects_unknown_zone() -> None:
    with pytest.raises(ArtifactError, match="unknown zone 'mars'") as caught:
        urls.effective_zone(None, {"KXZONE": "mars"})
    assert "KXZONE=cn" in caught.value.hint


def test_zones_lists_upstream_and_cn() -> None:
    assert urls.zones() == ("", "cn")


@pytest.mark.parametrize(
    ("ref", "zone", "expected"),
    [
        ("quay.io/calico/node:v3.31.7", "", "quay.io/calico/node:v3.31.7"),
        (
            "quay.io/calico/node:v3.31.7",
            "cn",
            "registry.cn-beijing.aliyuncs.com/kubexmio/node:v3.31.7",
        ),
        (
            "registry.k8s.io/coredns/coredns:v1.14.2",
            "cn",
            "registry.cn-beijing.aliyuncs.com/kubexmio/coredns:v1.14.2",
        ),
    ],
    ids=["upstream-unchanged", "cn-calico", "cn-nested-path"],
)
def test_mirror_image(ref: str, zone: str, expected: str) -> None:
    assert urls.mirror_image(ref, zone) == expected


@pytest.mark.parametrize(
    ("namespace", "expected"),
    [
        (None, "reg.local:5000/library/nginx:1.30.1-alpine"),
        ("kx/", "reg.local:5000/kx/nginx:1.30.1-alpine"),
    ],
    ids=["path-kept", "namespace-override"],
)
def test_rewrite_image(namespace: str | None, expected: str) -> None:
    ref = "docker.io/library/nginx:1.30.1-alpine"
    assert urls.rewrite_image(ref, "reg.local:5000/", namespace) == expected


@pytest.mark.parametrize(
    ("arch", "expected"), [("AMD64", "amd64"), ("aarch64", "arm64"), (" x86_64 ", "amd64")]
)
def test_normalise_arch(arch: str, expected: str) -> None:
    assert urls.normalise_arch(arch) == expected


def test_url_template_prefers_zone_template() -> None:
    assert urls.url_template("helm", "cn").startswith("https://kubernetes-helm.pek3b.qingstor.com/")
    assert urls.url_template("helm").startswith("https://get.helm.sh/")


def test_file_name_is_last_path_element() -> None:
    assert urls.file_name("https://x/a/b/kubelet") == "kubelet"
    assert urls.load_mirrors() is urls.load_mirrors()


def test_cn_image_mirror_agrees_with_common_constants() -> None:
    images = urls.load_mirrors()["zones"]["cn"]["images"]

    assert (images["registry"], images["namespace"]) == (
        common_images.REGISTRY_CN,
        common_images.NAMESPACE_OVERRIDE_CN,
    )


def test_every_mirror_template_mirrors_a_known_component() -> None:
    mirrored = set(urls.load_mirrors()["zones"]["cn"]["download_url_templates"])

    assert mirrored <= set(url_templates())


def _mirroring(rules: list[dict[str, str]], override: str | None = None) -> Mirroring:
    return Mirroring.model_validate(
        {
            "privateRegistry": "reg.local:5000",
            "namespaceOverride": override,
            "namespaceRewrite": {"enabled": True, "rules": rules},
        }
    )


def test_private_image_applies_the_first_matching_rewrite_rule() -> None:
    mirroring = _mirroring(
        [
            {"registry": "docker.io", "oldNamespace": "calico", "newNamespace": "hub/calico"},
            {"registry": "quay.io", "oldNamespace": "calico", "newNamespace": "mirror/calico"},
            {"oldNamespace": "coredns", "newNamespace": "dns"},
        ],
        override="kx",
    )
    assert urls.private_image("quay.io/calico/node:v3.31.7", mirroring) == (
        "reg.local:5000/mirror/calico/node:v3.31.7"
    )
    assert urls.private_image("registry.k8s.io/coredns/coredns:v1.12.1", mirroring) == (
        "reg.local:5000/dns/coredns:v1.12.1"
    )
    # no rule matches: the override applies
    assert urls.private_image("registry.k8s.io/pause:3.10", mirroring) == (
        "reg.local:5000/kx/pause:3.10"
    )


def test_private_image_ignores_rules_while_rewrite_is_off() -> None:
    mirroring = _mirroring([{"oldNamespace": "calico", "newNamespace": "x"}])
    mirroring.namespace_rewrite.enabled = False
    assert urls.private_image("quay.io/calico/node:v3", mirroring) == (
        "reg.local:5000/calico/node:v3"
    )
