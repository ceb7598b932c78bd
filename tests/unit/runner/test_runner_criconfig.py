from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest
from fakeconn import FakeConnection, assert_idempotent
from ruamel.yaml import YAML

from kubexm.runner.criconfig import (
    ContainerdSettings,
    CrictlSettings,
    CrioRuntimeBinary,
    CrioSettings,
    DockerSettings,
    MirrorEndpoint,
    RegistryEntry,
    containerd_schema,
    default_server,
    ensure_containerd_config,
    ensure_crictl_yaml,
    ensure_docker_daemon_json,
    ensure_registry_hosts,
    render_auth_json,
    render_containerd_config,
    render_crictl_yaml,
    render_crio_dropin,
    render_docker_daemon_json,
    render_hosts_toml,
    render_policy_json,
    render_registries_conf,
)
from kubexm.runner.host import Host, OpResult, combine
from kubexm.util.tomlio import TOMLSyntaxError


def _toml(settings: ContainerdSettings) -> dict[str, Any]:
    return tomllib.loads(render_containerd_config(settings))


@pytest.mark.parametrize(
    ("version", "schema"),
    [("1.6.24", 2), ("v1.7.13", 2), ("2.0.0", 3), ("2.1.3", 3)],
    ids=["1.6", "1.7", "2.0", "2.1"],
)
def test_containerd_schema_follows_major_version(version: str, schema: int) -> None:
    assert containerd_schema(version) == schema
    assert _toml(ContainerdSettings(version=version))["version"] == schema


def test_containerd_v2_config_has_cri_settings() -> None:
    doc = _toml(ContainerdSettings(sandbox_image="reg.local/pause:3.9", systemd_cgroup=True))
    cri = doc["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["sandbox_image"] == "reg.local/pause:3.9"
    assert cri["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is True
    assert cri["registry"]["config_path"] == "/etc/containerd/certs.d"
    assert cri["cni"] == {"bin_dir": "/opt/cni/bin", "conf_dir": "/etc/cni/net.d"}
    assert doc["grpc"]["max_recv_message_size"] == 16777216
    assert doc["oom_score"] == -999


def test_containerd_v3_config_splits_images_and_runtime_plugins() -> None:
    doc = _toml(ContainerdSettings(version="2.1.0", systemd_cgroup=False))
    images = doc["plugins"]["io.containerd.cri.v1.images"]
    runtime = doc["plugins"]["io.containerd.cri.v1.runtime"]
    assert images["pinned_images"]["sandbox"] == "registry.k8s.io/pause:3.9"
    assert images["registry"]["config_path"] == "/etc/containerd/certs.d"
    assert runtime["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is False
    assert runtime["cni"]["bin_dirs"] == ["/opt/cni/bin"]


def test_containerd_2_0_keeps_single_cni_bin_dir() -> None:
    runtime = _toml(ContainerdSettings(version="2.0.4"))["plugins"]["io.containerd.cri.v1.runtime"]
    assert runtime["cni"]["bin_dir"] == "/opt/cni/bin"
    assert "bin_dirs" not in runtime["cni"]


def test_containerd_extra_toml_is_merged_over_defaults() -> None:
    extra = '[plugins."io.containerd.grpc.v1.cri"]\nmax_concurrent_downloads = 10\n'
    cri = _toml(ContainerdSettings(extra_toml=extra))["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["max_concurrent_downloads"] == 10
    assert cri["sandbox_image"] == "registry.k8s.io/pause:3.9"


def test_containerd_bad_extra_toml_raises() -> None:
    with pytest.raises(TOMLSyntaxError):
        render_containerd_config(ContainerdSettings(extra_toml="[[broken"))


def test_render_is_deterministic() -> None:
    assert render_containerd_config(ContainerdSettings()) == render_containerd_config(
        ContainerdSettings()
    )


def test_hosts_toml_lists_mirrors_in_order() -> None:
    text = render_hosts_toml(
        "https://registry-1.docker.io",
        [MirrorEndpoint("https://m1", skip_verify=True), MirrorEndpoint("http://m2", ca="/ca")],
    )
    doc = tomllib.loads(text)
    assert doc["server"] == "https://registry-1.docker.io"
    assert list(doc["host"]) == ["https://m1", "http://m2"]
    assert doc["host"]["https://m1"] == {"capabilities": ["pull", "resolve"], "skip_verify": True}
    assert doc["host"]["http://m2"]["ca"] == "/ca"


def test_hosts_toml_without_mirrors_has_only_server() -> None:
    assert tomllib.loads(render_hosts_toml("https://r", [])) == {"server": "https://r"}


@pytest.mark.parametrize(
    ("registry", "server"),
    [
        ("docker.io", "https://registry-1.docker.io"),
        ("quay.io", "https://quay.io"),
        ("http://10.0.0.1:5000", "http://10.0.0.1:5000"),
    ],
    ids=["docker-hub", "quay", "explicit-url"],
)
def test_default_server(registry: str, server: str) -> None:
    assert default_server(registry) == server


def test_docker_daemon_json_defaults() -> None:
    doc = json.loads(render_docker_daemon_json(DockerSettings()))
    assert doc == {
        "exec-opts": ["native.cgroupdriver=systemd"],
        "storage-driver": "overlay2",
        "log-driver": "json-file",
        "log-opts": {"max-size": "100m", "max-file": "3"},
    }


def test_docker_daemon_json_optional_and_extra_keys() -> None:
    settings = DockerSettings(
        data_root="/data/docker",
        registry_mirrors=("https://m",),
        insecure_registries=("10.0.0.1:5000",),
        bip="172.30.0.1/16",
        extra={"live-restore": True, "log-opts": {"max-file": "5"}},
    )
    doc = json.loads(render_docker_daemon_json(settings))
    assert doc["data-root"] == "/data/docker"
    assert doc["insecure-registries"] == ["10.0.0.1:5000"]
    assert doc["live-restore"] is True
    assert doc["log-opts"] == {"max-size": "100m", "max-file": "5"}


def test_crictl_yaml_parses_to_settings() -> None:
    text = render_crictl_yaml(CrictlSettings(timeout=30, debug=True))
    assert YAML(typ="safe").load(text) == {
        "runtime-endpoint": "unix:///run/containerd/containerd.sock",
        "image-endpoint": "unix:///run/containerd/containerd.sock",
        "timeout": 30,
        "debug": True,
        "pull-image-on-create": False,
    }


async def test_ensure_writers_then_unchanged(fake: FakeConnection) -> None:
    for folder in ("/etc/containerd", "/etc/docker"):
        fake.call(["mkdir", "-p", folder])

    async def all_files(h: Host) -> OpResult:
        return combine(
            [
                await ensure_containerd_config(h, ContainerdSettings()),
                await ensure_registry_hosts(h, "docker.io", [MirrorEndpoint("https://m")]),
                await ensure_docker_daemon_json(h, DockerSettings()),
                await ensure_crictl_yaml(h, CrictlSettings()),
            ]
        )

    lines = await assert_idempotent(fake, all_files)
    assert len(lines) == 4
    assert "/etc/containerd/certs.d/docker.io/hosts.toml" in fake.files
    assert "/etc/crictl.yaml" in fake.files


def test_docker_daemon_json_log_driver_exec_opts_and_no_options() -> None:
    settings = DockerSettings(
        log_driver="journald", log_opts={}, exec_opts=("native.cgroupdriver=cgroupfs", "x=y")
    )
    doc = json.loads(render_docker_daemon_json(settings))
    assert doc["log-driver"] == "journald"
    assert "log-opts" not in doc
    assert doc["exec-opts"] == ["native.cgroupdriver=systemd", "x=y"]


def test_crio_dropin_sets_runtimes_pause_and_cni() -> None:
    runtimes = (CrioRuntimeBinary("crun", "/usr/local/bin/crun", "/run/crun"),)
    text = render_crio_dropin(CrioSettings(pause_image="p:1", runtimes=runtimes))
    doc = tomllib.loads(text)["crio"]
    assert doc["runtime"]["default_runtime"] == "crun"
    assert doc["runtime"]["cgroup_manager"] == "systemd"
    assert doc["image"] == {"pause_image": "p:1"}
    assert doc["network"]["plugin_dirs"] == ["/opt/cni/bin/"]


def test_crio_dropin_merges_extra_toml_and_rejects_bad_toml() -> None:
    doc = tomllib.loads(
        render_crio_dropin(CrioSettings(extra_toml="[crio.metrics]\nenable_metrics = true\n"))
    )
    assert doc["crio"]["metrics"]["enable_metrics"] is True
    with pytest.raises(TOMLSyntaxError):
        render_crio_dropin(CrioSettings(extra_toml="x = ["))


def test_registries_conf_lists_entries_and_mirrors() -> None:
    entries = [
        RegistryEntry("docker.io", mirrors=("m.example.com",)),
        RegistryEntry("r:5000", insecure=True),
    ]
    doc = tomllib.loads(render_registries_conf(["docker.io"], entries))
    assert doc["unqualified-search-registries"] == ["docker.io"]
    assert doc["registry"][0]["mirror"] == [{"location": "m.example.com", "insecure": False}]
    assert doc["registry"][1]["location"] == "r:5000" and doc["registry"][1]["insecure"]
    assert "registry" not in tomllib.loads(render_registries_conf([], []))


def test_policy_and_auth_json() -> None:
    assert json.loads(render_policy_json()) == {"default": [{"type": "insecureAcceptAnything"}]}
    auth = json.loads(render_auth_json({"r:5000": {"auth": "dTpw"}}))
    assert auth == {"auths": {"r:5000": {"auth": "dTpw"}}}
