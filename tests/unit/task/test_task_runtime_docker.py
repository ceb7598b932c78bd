from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from runtime_kit import Ctx, cluster

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.errors import ArtifactError
from kubexm.resource.model import ImageArtifact
from kubexm.resource.oci import image_archive_name
from kubexm.runner.criconfig import render_docker_daemon_json
from kubexm.step.runtime.write_containerd_config import WriteContainerdConfig
from kubexm.task.runtime import release_file
from kubexm.task.runtime_docker import (
    DockerImagesImportTask,
    DockerInstallTask,
    DockerVersions,
    bridge_ip,
    can_validate,
    docker_runtime,
    docker_settings,
    socket_path,
)

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "runtime"
DOCKER_BLOCK = """
      docker:
        dataRoot: /data/docker
        registryMirrors: [https://mirror.example.com]
        insecureRegistries: ["reg.local:5000"]
        bip: 172.30.0.0/16
        logOpts: {max-size: 50m, max-file: "3"}
        extraJsonConfig: {debug: true}
"""


def _docker(block: str = "") -> Cluster:
    return cluster(block, runtime="docker")


def _stock(artifacts: Path, c: Cluster, *, crictl: bool = True) -> None:
    runtime = docker_runtime(c)
    assert runtime is not None
    v = DockerVersions(c, runtime)
    wanted = {"docker": v.docker, "cri-dockerd": v.cri_dockerd, "cni-plugins": v.cni}
    if crictl:
        wanted["crictl"] = v.crictl
    for component, version in wanted.items():
        path = release_file(artifacts, component, version, "amd64", v.zone)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(component.encode())


def test_daemon_json_matches_golden_file() -> None:
    runtime = docker_runtime(_docker(DOCKER_BLOCK))
    assert runtime is not None
    text = render_docker_daemon_json(docker_settings(runtime.docker))
    path = GOLDEN / "daemon.json"
    if os.environ.get("KUBEXM_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text()


def test_another_log_driver_drops_the_json_file_options() -> None:
    runtime = docker_runtime(_docker("      docker: {logDriver: journald}\n"))
    assert runtime is not None
    doc = json.loads(render_docker_daemon_json(docker_settings(runtime.docker)))
    assert doc["log-driver"] == "journald"
    assert "log-opts" not in doc


def test_plan_chains_docker_its_containerd_and_cri_dockerd_per_node(tmp_path: Path) -> None:
    c = _docker()
    _stock(tmp_path, c)
    fragment = DockerInstallTask(tmp_path).plan(Ctx(c))
    assert fragment is not None
    names = [n.split("@")[0] for n in fragment.nodes if n.endswith("@w1")]
    assert names == [
        "runtime/install-docker-binaries", "runtime/install-cni-plugins", "runtime/install-crictl",
        "runtime/write-containerd-config", "runtime/write-containerd-unit",
        "runtime/start-containerd", "runtime/wait-containerd-ready",
        "runtime/write-docker-config", "runtime/write-docker-units", "runtime/start-docker",
        "runtime/wait-docker-ready", "runtime/install-cri-dockerd",
        "runtime/write-cri-dockerd-units", "runtime/start-cri-dockerd",
        "runtime/write-crictl-config", "runtime/wait-cri-dockerd-ready",
    ]  # fmt: skip
    config = fragment.nodes["runtime/write-containerd-config@w1"].step
    assert isinstance(config, WriteContainerdConfig)
    assert "io.containerd.grpc.v1.cri" in config.settings.extra_toml


def test_without_crictl_there_is_no_cri_health_step(tmp_path: Path) -> None:
    c = _docker("      docker: {installCRIDockerd: false}\n")
    _stock(tmp_path, c, crictl=False)
    fragment = DockerInstallTask(tmp_path).plan(Ctx(c))
    assert fragment is not None
    assert not any("cri-dockerd" in n or "crictl" in n for n in fragment.nodes)


def test_plan_fails_when_the_docker_tarball_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="docker"):
        DockerInstallTask(tmp_path).plan(Ctx(_docker()))


def test_nothing_is_planned_for_containerd(tmp_path: Path) -> None:
    assert DockerInstallTask(tmp_path).plan(Ctx(cluster())) is None
    assert DockerImagesImportTask(tmp_path).plan(Ctx(cluster())) is None


def test_import_loads_the_archives_present(tmp_path: Path) -> None:
    image = ImageArtifact("docker.io/library/bb:1", "docker.io/library/bb:1", "test")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / image_archive_name(image.source)).write_bytes(b"x")
    fragment = DockerImagesImportTask(tmp_path, [image]).plan(Ctx(_docker()))
    assert fragment is not None
    assert set(fragment.nodes) == {"runtime/load-docker-images@m1", "runtime/load-docker-images@w1"}


@pytest.mark.parametrize(
    ("version", "ok"), [("20.10.24", False), ("23.0.0", True), ("24.0.9", True)]
)
def test_validate_needs_dockerd_23(version: str, ok: bool) -> None:
    assert can_validate(version) is ok


def test_socket_path_drops_the_var_run_link() -> None:
    assert socket_path("unix:///var/run/docker.sock") == "/run/docker.sock"
    assert socket_path("unix:///srv/docker.sock") == "/srv/docker.sock"


def test_bridge_ip_is_the_first_host_of_a_network() -> None:
    assert bridge_ip("172.30.0.0/16") == "172.30.0.1/16"
    assert bridge_ip("10.1.2.0/24") == "10.1.2.1/24"
