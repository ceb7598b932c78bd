from __future__ import annotations

import base64
import io
import json
import os
import tarfile
from pathlib import Path

import pytest
from runtime_kit import Ctx, cluster

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.errors import ArtifactError, ConfigError
from kubexm.resource.model import ImageArtifact
from kubexm.resource.oci import image_archive_name
from kubexm.runner.criconfig import render_registries_conf
from kubexm.step.runtime.import_crio_images import ImportCrioImages
from kubexm.step.runtime.install_crio_bundle import CrioBundle
from kubexm.step.runtime.write_crio_config import WriteCrioConfig
from kubexm.task.runtime import release_file
from kubexm.task.runtime_crio import (
    CrioImagesImportTask,
    CrioInstallTask,
    crio_auths,
    crio_runtime,
    crio_settings,
    crio_version,
    registry_entries,
    render_dropin,
)

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "runtime"
BUNDLE = CrioBundle("cri-o", ("crio", "pinns", "conmon", "crun", "runc", "crictl"), ("bridge",))
CRIO_BLOCK = """
      crio:
        logLevel: info
        storageDriver: overlay
        registry:
          registries:
            - {prefix: docker.io, location: mirror.example.com}
            - {location: reg.local:5000, insecure: true}
        auths:
          reg.local:5000: {username: u, password: secret-pw}
"""


def tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("KUBEXM_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text(), name


def _crio(block: str = "") -> Cluster:
    return cluster(block, runtime="cri-o")


def _stock(artifacts: Path, c: Cluster) -> Path:
    runtime = crio_runtime(c)
    assert runtime is not None
    version, zone = crio_version(c, runtime)
    path = release_file(artifacts, "cri-o", version, "amd64", zone)
    path.parent.mkdir(parents=True, exist_ok=True)
    files = {f"cri-o/bin/{b}": b"x" for b in BUNDLE.binaries} | {"cri-o/cni-plugins/bridge": b"b"}
    return tarball(path, files)


def test_drop_in_and_registries_match_golden_files() -> None:
    c = _crio(CRIO_BLOCK)
    runtime = crio_runtime(c)
    assert runtime is not None
    settings = crio_settings(c, runtime.crio, BUNDLE, auth_file="/etc/crio/auth.json")
    _golden("crio-10-kubexm.conf", render_dropin(settings))
    search = runtime.crio.registry.unqualified_search_registries
    _golden("registries.conf", render_registries_conf(search, registry_entries(c, runtime.crio)))


def test_credentials_are_base64_user_and_password() -> None:
    c = _crio(CRIO_BLOCK)
    runtime = crio_runtime(c)
    assert runtime is not None
    auths = crio_auths(c, runtime.crio)
    assert base64.b64decode(auths["reg.local:5000"]["auth"]) == b"u:secret-pw"


def test_bad_extra_toml_is_a_config_error() -> None:
    c = _crio("      crio: {extraTomlConfig: 'x = ['}\n")
    runtime = crio_runtime(c)
    assert runtime is not None
    with pytest.raises(ConfigError, match="extraTomlConfig"):
        render_dropin(crio_settings(c, runtime.crio, BUNDLE, auth_file=None))


def test_plan_chains_the_crio_steps_per_node(tmp_path: Path) -> None:
    c = _crio(CRIO_BLOCK)
    _stock(tmp_path, c)
    fragment = CrioInstallTask(tmp_path).plan(Ctx(c))
    assert fragment is not None
    names = [n.split("@")[0] for n in fragment.nodes if n.endswith("@m1")]
    assert names == [
        "runtime/install-crio-bundle", "runtime/write-crio-config", "runtime/write-crio-unit",
        "runtime/start-crio", "runtime/write-crictl-config", "runtime/wait-crio-ready",
    ]  # fmt: skip
    config = fragment.nodes["runtime/write-crio-config@m1"].step
    assert isinstance(config, WriteCrioConfig) and config.auth is not None
    assert json.loads(config.auth)["auths"]["reg.local:5000"]


def test_plan_fails_when_the_bundle_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="CRI-O"):
        CrioInstallTask(tmp_path).plan(Ctx(_crio()))


def test_nothing_is_planned_for_containerd(tmp_path: Path) -> None:
    assert CrioInstallTask(tmp_path).plan(Ctx(cluster())) is None
    assert CrioImagesImportTask(tmp_path).plan(Ctx(cluster())) is None


def test_import_copies_the_archives_present(tmp_path: Path) -> None:
    image = ImageArtifact("docker.io/library/bb:1", "docker.io/library/bb:1", "test")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / image_archive_name(image.source)).write_bytes(b"x")
    fragment = CrioImagesImportTask(tmp_path, [image]).plan(Ctx(_crio()))
    assert fragment is not None
    step = fragment.nodes["runtime/import-crio-images@w1"].step
    assert isinstance(step, ImportCrioImages)
    assert (step.driver, step.endpoint) == ("overlay", "unix:///run/crio/crio.sock")
