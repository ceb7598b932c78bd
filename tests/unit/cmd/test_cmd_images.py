"""``kubexm images push`` through ``kubexm.cmd.main.run``.

The first part runs against the fake skopeo of ``tests/support/fake_skopeo.py``. The tests
marked ``registry`` push to a real registry (Debian's docker-registry, started on 127.0.0.1 by
``tests/support/loopback_registry.py``) with the real skopeo, and read the result back with
``skopeo inspect``; they skip only when one of the two programs is not installed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fake_skopeo
import pytest
import yaml
from loopback_registry import PASSWORD, USER, LoopbackRegistry, available
from tree_digest import tree_digest

from kubexm.cmd import main
from kubexm.cmd.images_cmd import counts, outcome_line, summary_line, target_registry
from kubexm.config import load, validate_data
from kubexm.errors import UsageError
from kubexm.resource.bundle import build_bundle
from kubexm.resource.model import ArtifactSet, FileArtifact, ImageArtifact
from kubexm.resource.oci import image_archive_name, layer_from_files, write_oci_archive
from kubexm.resource.registry_push import (
    PRIVATE_REGISTRY_FIELD,
    PushItem,
    PushOutcome,
    images_to_push,
)

REG = "reg.local:5000"
SECRET = "n0t-Shown-pw-58"
BASE: dict[str, Any] = {
    "apiVersion": "kubexm.io/v1alpha1",
    "kind": "Cluster",
    "metadata": {"name": "push"},
    "spec": {
        "global": {"privateKeyPath": "/root/.ssh/id_ed25519"},
        "hosts": [
            {"name": "m1", "address": "10.0.0.1", "arch": "amd64"},
            {"name": "w1", "address": "10.0.0.11", "arch": "arm64"},
        ],
        "roleGroups": {"master": ["m1"], "etcd": ["m1"], "worker": ["w1"]},
        "kubernetes": {"version": "v1.36.4"},
    },
}


@pytest.fixture(autouse=True)
def _no_zone_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KXZONE", raising=False)


def write_config(path: Path, registry: dict[str, Any] | None = None) -> Path:
    data = copy.deepcopy(BASE)
    if registry is not None:
        data["spec"]["registry"] = registry
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def stock_cache(config: Path, work: Path, registry: str) -> dict[str, str]:
    """An archive for every image the config needs; returns target -> archive digest."""
    cluster = load(config).cluster
    images_dir = work / cluster.name / "artifacts" / "images"
    images_dir.mkdir(parents=True, exist_ok=True)
    digests = {}
    for image in images_to_push(cluster, registry):
        layers = {
            arch: layer_from_files({"bin/id": image.source.encode()}) for arch in image.arches
        }
        info = write_oci_archive(
            images_dir / image_archive_name(image.source), image.source, layers
        )
        digests[image.target] = info.digest
    return digests


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.run(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---------------------------------------------------------------- helpers without skopeo


def test_target_registry_prefers_the_flag_then_the_config(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", {"mirroring": {"privateRegistry": REG}})
    cluster = load(config).cluster
    assert target_registry(cluster, None) == REG
    assert target_registry(cluster, " other.local:5001 ") == "other.local:5001"


def test_target_registry_without_one_names_the_config_field(tmp_path: Path) -> None:
    cluster = load(write_config(tmp_path / "c.yaml")).cluster
    with pytest.raises(UsageError) as caught:
        target_registry(cluster, None)
    assert PRIVATE_REGISTRY_FIELD in caught.value.hint and "--registry" in caught.value.hint


def test_target_registry_rejects_a_flag_that_is_no_host_port(tmp_path: Path) -> None:
    cluster = load(write_config(tmp_path / "c.yaml")).cluster
    with pytest.raises(UsageError, match="--registry"):
        target_registry(cluster, "http://reg.local/x")


def outcome(status: str, error: str = "") -> PushOutcome:
    image = ImageArtifact("quay.io/x/a:1", f"{REG}/x/a:1", "t")
    item = PushItem(image, Path("/a.oci.tar"), "sha256:" + "ab" * 32)
    return PushOutcome(item, status, 1.25, error)  # type: ignore[arg-type]  # str for Literal


@pytest.mark.parametrize(
    ("status", "error", "line"),
    [
        pytest.param("pushed", "", f"pushed     {REG}/x/a:1 (sha256:abababababab, 1.2s)", id="ok"),
        pytest.param(
            "unchanged", "", f"unchanged  {REG}/x/a:1 (sha256:abababababab, 1.2s)", id="same"
        ),
        pytest.param("failed", "denied", f"failed     {REG}/x/a:1: denied", id="failed"),
    ],
)
def test_outcome_line_names_status_target_and_digest_or_error(
    status: str, error: str, line: str
) -> None:
    assert outcome_line(outcome(status, error)) == line


def test_counts_and_summary_list_each_status_of_the_run() -> None:
    done = [outcome("pushed"), outcome("unchanged"), outcome("unchanged"), outcome("failed")]
    assert counts(done) == {"pushed": 1, "unchanged": 2, "failed": 1}
    assert summary_line(REG, done, 2.04) == (
        f"4 images to {REG} in 2.0s: 1 pushed, 2 unchanged, 1 failed"
    )
    dry = [outcome("would-push")]
    assert summary_line(REG, dry, 0.5, dry_run=True) == (
        f"1 image to {REG} in 0.5s: 1 would-push, 0 unchanged, 0 failed"
    )


# ---------------------------------------------------------------- the command, fake skopeo


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> fake_skopeo.FakeSkopeo:
    return fake_skopeo.install(tmp_path, monkeypatch)


@pytest.fixture
def stocked(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    auths = {REG: {"username": "u", "password": SECRET}}
    config = write_config(
        tmp_path / "c.yaml", {"mirroring": {"privateRegistry": REG}, "auths": auths}
    )
    work = tmp_path / "work"
    return config, work, stock_cache(config, work, REG)


def test_push_then_push_again_changes_nothing(
    capsys: pytest.CaptureFixture[str],
    fake: fake_skopeo.FakeSkopeo,
    stocked: tuple[Path, Path, dict[str, str]],
) -> None:
    config, work, digests = stocked
    code, out, _ = run(capsys, "images", "push", "-f", str(config), "--work-dir", str(work))
    assert code == 0
    assert sorted(fake.stored()) == sorted(digests)
    assert out.count("\npushed ") + out.startswith("pushed ") == len(digests)
    assert out.splitlines()[-1].endswith(f"{len(digests)} pushed, 0 unchanged, 0 failed")

    code, out, _ = run(capsys, "images", "push", "-f", str(config), "--work-dir", str(work))
    assert code == 0
    assert out.splitlines()[-1].endswith(f"0 pushed, {len(digests)} unchanged, 0 failed")
    assert len(fake.calls("copy")) == len(digests)
    assert all(SECRET not in " ".join(call["argv"]) for call in fake.calls())


def test_push_json_lists_every_image_and_the_summary(
    capsys: pytest.CaptureFixture[str],
    fake: fake_skopeo.FakeSkopeo,
    stocked: tuple[Path, Path, dict[str, str]],
) -> None:
    config, work, digests = stocked
    args = ["-o", "json", "images", "push", "-f", str(config), "--work-dir", str(work)]
    code, out, _ = run(capsys, *args, "--jobs", "2")
    data = json.loads(out)
    assert code == 0 and data["ok"] is True and data["registry"] == REG
    assert data["summary"] == {"pushed": len(digests), "unchanged": 0, "failed": 0}
    assert {i["target"]: i["digest"] for i in data["images"]} == digests
    assert fake.max_parallel_copies() <= 2


def test_dry_run_reads_the_registry_and_pushes_nothing(
    capsys: pytest.CaptureFixture[str],
    fake: fake_skopeo.FakeSkopeo,
    stocked: tuple[Path, Path, dict[str, str]],
) -> None:
    config, work, digests = stocked
    args = ["images", "push", "-f", str(config), "--work-dir", str(work), "--dry-run"]
    code, out, _ = run(capsys, *args)
    assert code == 0 and fake.calls("copy") == []
    assert out.splitlines()[-1].endswith(f"{len(digests)} would-push, 0 unchanged, 0 failed")


def test_a_failed_push_exits_1_naming_the_image_with_secrets_masked(
    capsys: pytest.CaptureFixture[str],
    fake: fake_skopeo.FakeSkopeo,
    stocked: tuple[Path, Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, work, digests = stocked
    monkeypatch.setenv("FAKE_SKOPEO_COPY_ERROR", f"denied for u:{SECRET}")
    monkeypatch.setenv("FAKE_SKOPEO_ONLY", "/pause:")
    code, out, err = run(capsys, "images", "push", "-f", str(config), "--work-dir", str(work))
    assert code == 1
    assert f"failed     {REG}/pause:" in out and "denied for ******" in out
    assert "error: 1 image failed to push:" in err and f"{REG}/pause:" in err
    assert SECRET not in out + err
    assert out.splitlines()[-1].endswith(f"{len(digests) - 1} pushed, 0 unchanged, 1 failed")

    code, out, err = run(
        capsys, "-o", "json", "images", "push", "-f", str(config), "--work-dir", str(work)
    )
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and SECRET not in out + err
    assert data["summary"] == {"pushed": 0, "unchanged": len(digests) - 1, "failed": 1}
    assert data["errors"][0].startswith("1 image failed to push:")


def test_missing_archives_are_listed_with_how_to_get_them(
    capsys: pytest.CaptureFixture[str],
    fake: fake_skopeo.FakeSkopeo,
    stocked: tuple[Path, Path, dict[str, str]],
) -> None:
    config, work, _ = stocked
    images_dir = work / "push" / "artifacts" / "images"
    gone = sorted(images_dir.iterdir())[:2]
    for path in gone:
        path.unlink()
    code, _, err = run(capsys, "images", "push", "-f", str(config), "--work-dir", str(work))
    assert code == 1
    assert "error: 2 images to push have no usable archive:" in err
    assert all(f"no archive at {path}" in err for path in gone)
    assert "kubexm download" in err and fake.calls() == []


def test_without_a_registry_it_exits_2_naming_the_config_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(tmp_path / "c.yaml")
    code, _, err = run(capsys, "images", "push", "-f", str(config))
    assert code == 2 and PRIVATE_REGISTRY_FIELD in err


def test_registry_flag_overrides_the_config_and_its_credentials(
    capsys: pytest.CaptureFixture[str],
    fake: fake_skopeo.FakeSkopeo,
    stocked: tuple[Path, Path, dict[str, str]],
) -> None:
    config, work, _ = stocked
    other = "other.local:5001"
    stock_cache(config, work, other)
    args = ["images", "push", "-f", str(config), "--work-dir", str(work), "--registry", other]
    code, _, _ = run(capsys, *args)
    assert code == 0
    assert all(target.startswith(f"{other}/") for target in fake.stored())
    assert all(call["authfile"] is None for call in fake.calls())  # auths has only reg.local


def bundle_of(config: Path, work: Path, out: Path) -> Path:
    """A bundle holding only the images of ``config`` (built from the stocked cache)."""
    cluster = load(config).cluster
    cache = work / cluster.name / "artifacts"
    images = images_to_push(cluster, cluster.spec.registry.mirroring.private_registry or REG)
    artifacts = ArtifactSet(images=images, arches=("amd64", "arm64"))
    build_bundle(
        artifacts, cache, out, images_dir=cache / "images", os_dir=cache / "os", compresslevel=1
    )
    return out


def test_push_from_a_bundle_stages_it_into_a_fresh_work_dir(
    capsys: pytest.CaptureFixture[str],
    fake: fake_skopeo.FakeSkopeo,
    stocked: tuple[Path, Path, dict[str, str]],
    tmp_path: Path,
) -> None:
    config, work, digests = stocked
    bundle = bundle_of(config, work, tmp_path / "bundle.tar.gz")
    fresh = tmp_path / "fresh"
    args = ["images", "push", "-f", str(config), "--work-dir", str(fresh), "--bundle", str(bundle)]
    code, out, _ = run(capsys, *args)
    assert code == 0, out
    assert (fresh / "push" / "artifacts" / ".bundle" / "manifest.json").is_file()
    assert sorted(fake.stored()) == sorted(digests)


def test_push_from_a_refused_bundle_changes_nothing_in_the_cache(
    capsys: pytest.CaptureFixture[str],
    fake: fake_skopeo.FakeSkopeo,
    stocked: tuple[Path, Path, dict[str, str]],
    tmp_path: Path,
) -> None:
    config, work, _ = stocked
    bundle = bundle_of(config, work, tmp_path / "bundle.tar.gz")
    cache = work / "push" / "artifacts"
    first, *others = images_to_push(load(config).cluster, REG)
    lacking = tmp_path / "lacking.tar.gz"
    build_bundle(
        ArtifactSet(images=tuple(others)), cache, lacking,
        images_dir=cache / "images", os_dir=cache / "os", compresslevel=1,
    )  # fmt: skip
    fresh = tmp_path / "fresh"
    args = ["images", "push", "-f", str(config), "--work-dir", str(fresh), "--bundle"]
    assert run(capsys, *args, str(bundle))[0] == 0
    before = tree_digest(fresh / "push" / "artifacts")
    copies = len(fake.calls("copy"))

    code, _, err = run(capsys, *args, str(lacking))

    assert code == 1 and "lacks 1 artifact this config needs" in err and first.source in err
    assert len(fake.calls("copy")) == copies
    assert tree_digest(fresh / "push" / "artifacts") == before
    assert not list((fresh / "push").glob(".bundle-stage-*"))


def test_push_dry_run_from_a_bundle_writes_no_cache(
    capsys: pytest.CaptureFixture[str],
    fake: fake_skopeo.FakeSkopeo,
    stocked: tuple[Path, Path, dict[str, str]],
    tmp_path: Path,
) -> None:
    config, work, digests = stocked
    bundle = bundle_of(config, work, tmp_path / "bundle.tar.gz")
    fresh = tmp_path / "fresh"
    args = ["images", "push", "-f", str(config), "--work-dir", str(fresh), "--dry-run"]

    code, out, _ = run(capsys, *args, "--bundle", str(bundle))

    assert code == 0 and fake.calls("copy") == []
    assert out.splitlines()[-1].endswith(f"{len(digests)} would-push, 0 unchanged, 0 failed")
    assert sorted(p.name for p in (fresh / "push").iterdir()) == []


def test_push_refuses_stand_ins_unless_allowed(
    capsys: pytest.CaptureFixture[str],
    fake: fake_skopeo.FakeSkopeo,
    stocked: tuple[Path, Path, dict[str, str]],
    tmp_path: Path,
) -> None:
    config, work, digests = stocked
    cluster = load(config).cluster
    cache = work / cluster.name / "artifacts"
    kubectl = FileArtifact("kubectl", "1.36.4", "amd64", "kubectl", "u")
    (cache / kubectl.cache_path).parent.mkdir(parents=True)
    (cache / kubectl.cache_path).write_bytes(b"#!/bin/sh\necho kubectl\n")
    artifacts = ArtifactSet(files=(kubectl,), images=images_to_push(cluster, REG))
    bundle = tmp_path / "standins.tar.gz"
    build_bundle(
        artifacts, cache, bundle, images_dir=cache / "images", os_dir=cache / "os",
        labels={"kubectl": "stand-in"}, compresslevel=1,
    )  # fmt: skip
    args = ["images", "push", "-f", str(config), "--work-dir", str(tmp_path / "fresh")]
    args += ["--bundle", str(bundle)]

    refused, _, refusal = run(capsys, *args)
    allowed, _, warning = run(capsys, *args, "--allow-standins")
    code, out, _ = run(capsys, "-o", "json", *args, "--allow-standins")

    assert refused == 1 and "kubectl/1.36.4/amd64/kubectl" in refusal
    assert "--allow-standins" in refusal
    assert allowed == 0 and f"warning: 1 file in the bundle {bundle}" in warning
    assert sorted(fake.stored()) == sorted(digests)
    assert code == 0 and json.loads(out)["standins"] == ["kubectl/1.36.4/amd64/kubectl"]


# ---------------------------------------------------------------- a real registry


@pytest.fixture(scope="module")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LoopbackRegistry]]:
    reason = available()
    if reason:
        pytest.skip(f"real registry tests: {reason}")
    root = tmp_path_factory.mktemp("registry")
    anonymous = LoopbackRegistry(root / "anonymous").start()
    try:
        with_auth = LoopbackRegistry(root / "auth", USER, PASSWORD).start()
    except BaseException:
        anonymous.stop()
        raise
    yield {"anonymous": anonymous, "auth": with_auth}
    anonymous.stop()
    with_auth.stop()


def real_digest(target: str, creds: str = "") -> str:
    argv = ["skopeo", "inspect", "--raw", "--tls-verify=false"]
    if creds:
        argv += ["--creds", creds]
    raw = subprocess.run([*argv, f"docker://{target}"], capture_output=True, check=True).stdout
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def timed(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    code, out, err = run(capsys, *argv)
    return code, out, err, time.monotonic() - started


@pytest.mark.registry
def test_real_registry_push_is_verified_and_idempotent(
    capsys: pytest.CaptureFixture[str], registries: dict[str, LoopbackRegistry], tmp_path: Path
) -> None:
    host = registries["anonymous"].host
    section = {"mirroring": {"privateRegistry": host}, "auths": {host: {"plainHTTP": True}}}
    config = write_config(tmp_path / "c.yaml", section)
    work = tmp_path / "work"
    digests = stock_cache(config, work, host)
    args = ["images", "push", "-f", str(config), "--work-dir", str(work)]

    code, out, err, first = timed(capsys, *args)
    assert code == 0, out + err
    assert out.splitlines()[-1].endswith(f"{len(digests)} pushed, 0 unchanged, 0 failed")
    assert {target: real_digest(target) for target in digests} == digests
    pause = next(target for target in digests if "/pause:" in target)
    raw = subprocess.run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{pause}"],
        capture_output=True,
        check=True,
    ).stdout
    platforms = {m["platform"]["architecture"] for m in json.loads(raw)["manifests"]}
    assert platforms == {"amd64", "arm64"}

    code, out, err, second = timed(capsys, *args)
    assert code == 0, out + err
    assert out.splitlines()[-1].endswith(f"0 pushed, {len(digests)} unchanged, 0 failed")
    print(f"\nreal registry: {len(digests)} images pushed in {first:.2f}s, re-run {second:.2f}s")


@pytest.mark.registry
def test_real_registry_with_auth_pushes_from_a_bundle_and_hides_a_wrong_password(
    capsys: pytest.CaptureFixture[str], registries: dict[str, LoopbackRegistry], tmp_path: Path
) -> None:
    host = registries["auth"].host
    good = {host: {"username": USER, "password": PASSWORD, "plainHTTP": True}}
    config = write_config(
        tmp_path / "c.yaml", {"mirroring": {"privateRegistry": host}, "auths": good}
    )
    work = tmp_path / "work"
    digests = stock_cache(config, work, host)
    bundle = bundle_of(config, work, tmp_path / "bundle.tar.gz")
    wrong_pw = "Wr0ng-" + PASSWORD
    auth = base64.b64encode(f"{USER}:{wrong_pw}".encode()).decode()
    bad = write_config(
        tmp_path / "bad.yaml",
        {
            "mirroring": {"privateRegistry": host},
            "auths": {host: {"auth": auth, "plainHTTP": True}},
        },
    )
    fresh = ["--work-dir", str(tmp_path / "fresh"), "--bundle", str(bundle)]

    code, out, err, wrong = timed(capsys, "images", "push", "-f", str(bad), *fresh)
    assert code == 1
    assert out.count("failed     ") == len(digests) and "unauthorized" in out
    assert "error: " in err and f"{len(digests)} images failed to push" in err
    assert wrong_pw not in out + err and auth not in out + err

    code, out, err, first = timed(capsys, "images", "push", "-f", str(config), *fresh)
    assert code == 0, out + err
    assert {t: real_digest(t, f"{USER}:{PASSWORD}") for t in digests} == digests
    code, out, _, second = timed(capsys, "-o", "json", "images", "push", "-f", str(config), *fresh)
    assert code == 0 and json.loads(out)["summary"]["unchanged"] == len(digests)
    print(f"\nauth registry: refused in {wrong:.2f}s, pushed {first:.2f}s, re-run {second:.2f}s")


def test_the_command_is_registered_in_main(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "images", "push", "--help")
    assert code == 0 and "--registry" in out and "--jobs" in out
    assert validate_data(copy.deepcopy(BASE)).cluster.name == "push"
