from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from runtime_kit import Ctx, cluster, stock

from kubexm.errors import ArtifactError, ConfigError
from kubexm.plan import Fragment
from kubexm.resource.model import ImageArtifact
from kubexm.resource.oci import image_archive_name
from kubexm.runner.criconfig import render_containerd_config
from kubexm.task.runtime import (
    ContainerdInstallTask,
    ContainerImagesImportTask,
    containerd_runtime,
    containerd_settings,
    image_archives,
    registry_auths,
    registry_hosts,
    runtime_nodes,
    sandbox_image,
)

ORDER = [
    "runtime/install-containerd-binaries",
    "runtime/install-runc",
    "runtime/install-cni-plugins",
    "runtime/write-containerd-config",
    "runtime/write-containerd-unit",
    "runtime/write-crictl-config",
    "runtime/start-containerd",
    "runtime/wait-containerd-ready",
]


def _steps(fragment: Fragment, host: str) -> list[str]:
    return [n.step.name for n in fragment if n.host == host]


def test_runtime_nodes_are_masters_then_workers() -> None:
    assert runtime_nodes(cluster()) == ["m1", "w1"]


def test_install_plans_the_chain_on_every_node(tmp_path: Path) -> None:
    c = cluster()
    stock(tmp_path, c)
    fragment = ContainerdInstallTask(tmp_path).plan(Ctx(c))
    assert fragment is not None
    for host in ("m1", "w1"):
        assert _steps(fragment, host) == ORDER
    assert fragment.entries() == [
        "runtime/install-containerd-binaries@m1",
        "runtime/install-containerd-binaries@w1",
    ]


def test_install_adds_crictl_only_when_the_artifacts_have_it(tmp_path: Path) -> None:
    c = cluster()
    stock(tmp_path, c, crictl=True)
    fragment = ContainerdInstallTask(tmp_path).plan(Ctx(c))
    assert fragment is not None
    assert "runtime/install-crictl" in _steps(fragment, "m1")


def test_install_names_a_missing_release_file(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"containerd 1\.7\.22 is not in the artifacts"):
        ContainerdInstallTask(tmp_path).plan(Ctx(cluster()))


def test_install_and_import_are_not_planned_for_docker(tmp_path: Path) -> None:
    docker = cluster(runtime="docker")
    assert containerd_runtime(docker) is None
    assert ContainerdInstallTask(tmp_path).plan(Ctx(docker)) is None
    assert ContainerImagesImportTask(tmp_path).plan(Ctx(docker)) is None


@pytest.mark.parametrize(
    ("version", "schema"), [("1.7.22", 2), ("2.1.3", 3)], ids=["containerd-1", "containerd-2"]
)
def test_settings_follow_the_containerd_major(version: str, schema: int) -> None:
    c = cluster()
    runtime = containerd_runtime(c)
    assert runtime is not None
    doc = tomllib.loads(render_containerd_config(containerd_settings(c, runtime, version)))
    assert doc["version"] == schema


def test_settings_use_the_kubelet_cgroup_driver_and_the_rewritten_pause() -> None:
    c = cluster(
        "      containerd: {cgroupDriver: cgroupfs}\n"
        "    kubelet: {cgroupDriver: cgroupfs}\n"
        "  registry: {mirroring: {privateRegistry: reg.local:5000}}\n"
    )
    runtime = containerd_runtime(c)
    assert runtime is not None
    settings = containerd_settings(c, runtime, "1.7.22")
    assert settings.systemd_cgroup is False
    assert settings.sandbox_image.startswith("reg.local:5000/")
    assert sandbox_image(c) == settings.sandbox_image


def test_credentials_go_to_the_cri_registry_configs_and_stay_out_of_describe() -> None:
    c = cluster('  registry: {auths: {"reg.local:5000": {username: u, password: s3cret}}}\n')
    runtime = containerd_runtime(c)
    assert runtime is not None
    assert registry_auths(c, runtime.containerd) == {
        "reg.local:5000": {"username": "u", "password": "s3cret"}
    }
    doc = tomllib.loads(render_containerd_config(containerd_settings(c, runtime, "1.7.22")))
    configs = doc["plugins"]["io.containerd.grpc.v1.cri"]["registry"]["configs"]
    assert configs["reg.local:5000"]["auth"]["password"] == "s3cret"


def test_registry_hosts_cover_mirrors_and_plain_http_registries() -> None:
    c = cluster(
        "      containerd:\n"
        '        registry: {mirrors: {docker.io: {endpoints: ["https://m.example"]}}}\n'
        '  registry: {auths: {"reg.local:5000": {username: u, password: p, plainHTTP: true}}}\n'
    )
    runtime = containerd_runtime(c)
    assert runtime is not None
    hosts = {h.registry: h for h in registry_hosts(c, runtime.containerd)}
    assert [m.url for m in hosts["docker.io"].mirrors] == ["https://m.example"]
    assert hosts["reg.local:5000"].server == "http://reg.local:5000"


def test_image_archives_keep_the_images_present_for_the_arch(tmp_path: Path) -> None:
    there = ImageArtifact("docker.io/library/bb:1", "r/bb:1", "test", ("amd64",))
    absent = ImageArtifact("docker.io/library/none:1", "docker.io/library/none:1", "test")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / image_archive_name(there.source)).write_bytes(b"x")

    found = image_archives(tmp_path, [there, absent], "amd64")
    assert [(a.ref, a.source) for a in found] == [("r/bb:1", "docker.io/library/bb:1")]
    assert image_archives(tmp_path, [there], "arm64") == ()


def test_import_task_plans_one_step_per_node_with_archives(tmp_path: Path) -> None:
    image = ImageArtifact("docker.io/library/bb:1", "docker.io/library/bb:1", "test")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / image_archive_name(image.source)).write_bytes(b"x")
    fragment = ContainerImagesImportTask(tmp_path, [image]).plan(Ctx(cluster()))
    assert fragment is not None
    assert sorted(fragment.nodes) == [
        "runtime/import-container-images@m1",
        "runtime/import-container-images@w1",
    ]


def test_plugin_lists_and_extra_toml_are_merged_over_the_config() -> None:
    c = cluster(
        "      containerd:\n"
        "        disabledPlugins: [io.containerd.internal.v1.tracing]\n"
        "        extraTomlConfig: |\n"
        '          [plugins."io.containerd.grpc.v1.cri"]\n'
        "          enable_unprivileged_ports = true\n"
    )
    runtime = containerd_runtime(c)
    assert runtime is not None
    doc = tomllib.loads(render_containerd_config(containerd_settings(c, runtime, "1.7.22")))
    assert doc["disabled_plugins"] == ["io.containerd.internal.v1.tracing"]
    assert doc["required_plugins"] == ["io.containerd.grpc.v1.cri"]
    cri = doc["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["enable_unprivileged_ports"] is True
    assert cri["sandbox_image"] == sandbox_image(c), "kubexm's keys survive the merge"


def test_extra_toml_that_does_not_parse_is_a_config_error() -> None:
    c = cluster('      containerd: {extraTomlConfig: "[broken"}\n')
    runtime = containerd_runtime(c)
    assert runtime is not None
    with pytest.raises(ConfigError) as caught:
        containerd_settings(c, runtime, "1.7.22")
    assert caught.value.problems[0].path.endswith("containerd.extraTomlConfig")
