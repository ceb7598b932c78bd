"""The test-bundle builder: a real bundle from Debian packages, a wheel and stand-ins.

The build needs apt-get (with a reachable Debian mirror or a warm cache under
/var/tmp/kubexm-testbundle) and pip; without them these tests skip with the reason.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from tar_extract import extract_all

from kubexm.resource.bundle_offline import OfflineSource, open_bundle
from kubexm.resource.bundle_verify import verify_bundle
from kubexm.resource.model import ArtifactSet, FileArtifact

ROOT = Path(__file__).resolve().parents[3]


def _load_builder() -> ModuleType:
    path = ROOT / "tests" / "bundle" / "build_test_bundle.py"
    spec = importlib.util.spec_from_file_location("kubexm_build_test_bundle", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


builder = _load_builder()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("testbundle") / "bundle.tar.gz"
    try:
        return builder.build_test_bundle(out, compresslevel=1)
    except builder.TestBundleUnavailable as exc:
        pytest.skip(f"cannot build the test bundle here: {exc}")


@pytest.mark.parametrize(
    ("debian", "upstream"),
    [
        pytest.param("3.4.23-4+b4", "3.4.23", id="binnmu"),
        pytest.param("1.6.20~ds1-1+deb12u3", "1.6.20", id="repack"),
        pytest.param("1:2.2.7-1+b2", "2.2.7", id="epoch"),
        pytest.param("1.1.1+ds1-3+b5", "1.1.1", id="plus-ds"),
        pytest.param("1.0", "1.0", id="native"),
    ],
)
def test_upstream_version_drops_epoch_revision_and_repack(debian: str, upstream: str) -> None:
    assert builder.upstream_version(debian) == upstream


def test_cache_key_changes_with_any_package_version() -> None:
    one = builder.cache_key({"etcd-server": "3.4.23-4", "runc": "1.1.5"})
    assert one == builder.cache_key({"runc": "1.1.5", "etcd-server": "3.4.23-4"})
    assert one != builder.cache_key({"etcd-server": "3.4.23-5", "runc": "1.1.5"})


def test_a_python_standin_is_one_file_from_common_and_its_component(tmp_path: Path) -> None:
    text = builder.render_standin("kube-scheduler", "v1.35.2")
    assert text.startswith("#!/usr/bin/python3\n")
    assert "from common import" not in text and text.count("from __future__ import") == 1
    assert text.rstrip().endswith('sys.exit(main(sys.argv[1:], "v1.35.2"))')
    compile(text, "kube-scheduler", "exec")
    target = builder.write_standin("kube-scheduler", "v1.35.2", tmp_path / "kube-scheduler")
    done = subprocess.run([str(target), "--version"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, "Kubernetes v1.35.2\n")
    assert target.stat().st_mode & 0o111


def test_standin_digest_covers_every_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "standins"
    folder.mkdir()
    for path in builder.STANDIN_DIR.glob("*.py"):
        (folder / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(builder, "STANDIN_DIR", folder)
    before = builder.standin_digest()
    with (folder / "common.py").open("a") as common:
        common.write("# changed\n")
    assert builder.standin_digest() != before
    # the Kubernetes stand-ins, and crictl (a stand-in over ctr, not a Kubernetes binary)
    assert set(builder.STANDIN_FILES) == {*builder.STANDINS, "crictl"}
    for name, file in builder.STANDIN_FILES.items():
        assert (folder / file).is_file(), name
    with (folder / "scheduler.py").open("a") as scheduler:
        scheduler.write("\n\ndef log(message: str) -> None:\n    print(message)\n")
    with pytest.raises(ValueError, match=r"scheduler.py redefines log of common.py"):
        builder.render_standin("kube-scheduler", "v1.36.4")


def test_a_new_cache_folder_reuses_the_downloads_of_a_sibling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builder, "CACHE_ROOT", tmp_path)
    old, new, other = tmp_path / "old", tmp_path / "new", tmp_path / "other"
    for root, versions in ((old, "a=1\n"), (other, "a=2\n")):
        (root / "debs").mkdir(parents=True)
        (root / "debs" / "a.deb").write_text(versions)
        (root / "versions.txt").write_text(versions)
    new.mkdir()
    builder._seed_from_sibling(new, "a=1\n")
    assert (new / "debs" / "a.deb").read_text() == "a=1\n"
    assert (new / "debs" / "a.deb").stat().st_ino == (old / "debs" / "a.deb").stat().st_ino
    assert (new / "versions.txt").read_text() == "a=1\n"


def test_test_bundle_is_complete_for_its_config(built: Any) -> None:
    bundle = built  # a TestBundle
    # A test bundle: its stand-ins are refused unless allowed (--allow-standins).
    report = verify_bundle(bundle.path, bundle.artifacts, allow_standins=True)
    assert report.ok, [str(p) for p in report.problems]
    manifest = report.manifest
    assert (manifest.cluster_name, manifest.kubernetes_version) == ("single", "v1.36.4")
    components = {f.component for f in manifest.files}
    assert {"etcd", "containerd", "runc", "cni-plugins", "kubectl"} <= components
    labelled = {f.component for f in manifest.files if f.label == "stand-in"}
    # Kubernetes binaries and crictl are stand-ins; runc and the CNI plugins are Debian's under
    # the BOM's version; the CNI manifests are trimmed stand-ins: all must carry the label.
    assert labelled == {
        *builder.STANDINS, "crictl", *builder.RETARGETED, *builder.MANIFEST_STANDINS
    }  # fmt: skip
    assert {item.split("/")[0] for item in report.standins} == labelled
    debs = [Path(p.path).name for s in manifest.os_packages for p in s.files]
    for package in ("haproxy_", "keepalived_", "nginx-light_", "libnginx-mod-stream_", "libc6_"):
        assert any(name.startswith(package) for name in debs), package
    assert manifest.images[0].arches == ("amd64",)


def test_binaries_in_the_test_bundle_run(built: Any, tmp_path: Path) -> None:
    bundle = built
    source = OfflineSource(tmp_path, open_bundle(bundle.path, tmp_path))
    files = {f.filename: f for f in bundle.artifacts.files}

    def run(name: str, *args: str) -> subprocess.CompletedProcess[str]:
        path = source.file(files[name])
        return subprocess.run([str(path), *args], capture_output=True, text=True, check=False)

    assert "v1.36.4" in run("kubectl", "version", "--client").stdout
    with tarfile.open(source.file(files["etcd-v3.4.23-linux-amd64.tar.gz"])) as etcd:
        extract_all(etcd, tmp_path / "etcd")  # upstream layout: <top>/etcd
    etcd_bin = tmp_path / "etcd" / "etcd-v3.4.23-linux-amd64" / "etcd"
    assert (
        "3.4.23" in subprocess.run([etcd_bin, "--version"], capture_output=True, text=True).stdout
    )
    assert run("kube-apiserver", "--version").stdout.strip() == "Kubernetes v1.36.4"
    for standin in builder.STANDINS:
        refused = run(standin, "--no-such-flag")
        assert refused.returncode != 0 and "unknown flag: --no-such-flag" in refused.stderr


def test_a_removed_file_or_a_missing_arch_fails_and_is_named(built: Any, tmp_path: Path) -> None:
    bundle = built
    runc = next(f for f in bundle.artifacts.files if f.component == "runc")
    dropped = f"files/{runc.cache_path}"
    edited = tmp_path / "edited.tar.gz"
    with (
        tarfile.open(bundle.path, "r:gz") as src,
        tarfile.open(edited, "w:gz", compresslevel=1) as dst,
    ):
        for member in src:
            if member.name != dropped:
                dst.addfile(member, src.extractfile(member) if member.isfile() else io.BytesIO())
    report = verify_bundle(edited, bundle.artifacts, allow_standins=True)
    assert [str(p) for p in report.problems] == [
        f"member {dropped}: listed in the manifest but not in the archive"
    ]
    wanted: ArtifactSet = bundle.artifacts
    arm = tuple(dataclasses.replace(f, arch="arm64") for f in wanted.files)
    both = dataclasses.replace(wanted, files=(*wanted.files, *arm))
    report = verify_bundle(bundle.path, both, allow_standins=True)
    named = {p.item for p in report.problems}
    assert len(named) == len(arm)
    assert (
        "etcd/3.4.23/arm64/etcd-v3.4.23-linux-amd64.tar.gz" in named
        and "kubeadm/1.36.4/arm64/kubeadm" in named
    )
    assert all(isinstance(f, FileArtifact) for f in arm)
