"""registry_push: images and targets, archives, credentials, digests and the concurrent push.

skopeo is the fake of ``tests/support/fake_skopeo.py`` (a registry kept in a JSON file), so
these run anywhere; the real registry is exercised in ``tests/unit/cmd/test_cmd_images.py``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import stat
from pathlib import Path
from typing import Any

import fake_skopeo
import pytest

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import validate_data
from kubexm.errors import ArtifactError, CommandError
from kubexm.resource import registry_push
from kubexm.resource.bundle_manifest import BundleImage, BundleManifest
from kubexm.resource.model import ImageArtifact
from kubexm.resource.oci import image_archive_name, layer_from_files, write_oci_archive
from kubexm.resource.registry_push import (
    PushItem,
    RegistryAccess,
    archive_path,
    images_to_push,
    locate_archives,
    push_image,
    push_images,
    registry_access,
    remote_digest,
    temporary_authfile,
)

REG = "reg.local:5000"
PASSWORD = "s3cret-Push-pw"
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


def cluster(registry: dict[str, Any] | None = None) -> Cluster:
    data = copy.deepcopy(BASE)
    if registry is not None:
        data["spec"]["registry"] = registry
    return validate_data(data).cluster


def image(source: str = "quay.io/x/app:1", arches: tuple[str, ...] = ("amd64",)) -> ImageArtifact:
    return ImageArtifact(source, f"{REG}/x/app:1", "test", arches)


def archive(root: Path, source: str, arches: tuple[str, ...] = ("amd64",)) -> Path:
    path = root / "images" / image_archive_name(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_oci_archive(path, source, {a: layer_from_files({"bin/x": a.encode()}) for a in arches})
    return path


# ---------------------------------------------------------------- access and credentials


def test_registry_access_without_an_entry_is_anonymous_and_verifies_tls() -> None:
    access = registry_access(cluster(), REG)
    assert access == RegistryAccess(REG)
    assert access.auth_value() == "" and access.secrets() == ()


@pytest.mark.parametrize(
    ("entry", "tls_verify", "cert_dir"),
    [
        pytest.param({"username": "u", "password": PASSWORD}, True, None, id="pair"),
        pytest.param({"plainHTTP": True}, False, None, id="plain-http"),
        pytest.param({"skipTLSVerify": True}, False, None, id="skip-verify"),
        pytest.param({"certsPath": "/etc/kx/certs"}, True, Path("/etc/kx/certs"), id="certs"),
    ],
)
def test_registry_access_reads_the_auths_entry_of_the_host(
    entry: dict[str, Any], tls_verify: bool, cert_dir: Path | None
) -> None:
    access = registry_access(cluster({"auths": {REG: entry}}), REG)
    assert (access.tls_verify, access.cert_dir) == (tls_verify, cert_dir)
    assert access.password == entry.get("password", "")


def test_registry_access_ignores_entries_of_other_hosts() -> None:
    other = {"auths": {"other.local": {"username": "u", "password": PASSWORD}}}
    assert registry_access(cluster(other), REG) == RegistryAccess(REG)


def test_auth_value_is_base64_of_the_pair_or_the_given_auth() -> None:
    pair = RegistryAccess(REG, username="u", password=PASSWORD)
    assert base64.b64decode(pair.auth_value()).decode() == f"u:{PASSWORD}"
    given = base64.b64encode(b"v:other-pw-123").decode()
    assert RegistryAccess(REG, auth=given).auth_value() == given


def test_secrets_and_mask_cover_every_form_of_the_credentials() -> None:
    given = base64.b64encode(f"u:{PASSWORD}".encode()).decode()
    access = RegistryAccess(REG, auth=given)
    assert set(access.secrets()) == {given, f"u:{PASSWORD}", PASSWORD}
    text = f"failed for {PASSWORD} with {given} and u:{PASSWORD}"
    masked = access.mask(text)
    assert PASSWORD not in masked and given not in masked and "******" in masked


def test_repr_of_an_access_shows_no_credentials() -> None:
    shown = repr(RegistryAccess(REG, username="u", password=PASSWORD, auth="YTpi"))
    assert PASSWORD not in shown and "YTpi" not in shown


def test_temporary_authfile_is_private_holds_the_auth_and_is_removed() -> None:
    access = RegistryAccess(REG, username="u", password=PASSWORD)
    with temporary_authfile(access) as path:
        assert path is not None
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert json.loads(path.read_text()) == {"auths": {REG: {"auth": access.auth_value()}}}
    assert not path.exists() and not path.parent.exists()


def test_temporary_authfile_is_removed_on_error_too() -> None:
    access = RegistryAccess(REG, username="u", password=PASSWORD)
    with pytest.raises(RuntimeError), temporary_authfile(access) as path:
        raise RuntimeError("boom")
    assert path is not None and not path.exists()


def test_temporary_authfile_without_credentials_is_none() -> None:
    with temporary_authfile(RegistryAccess(REG)) as path:
        assert path is None


# ---------------------------------------------------------------- images and archives


def test_images_to_push_rewrites_every_image_onto_the_given_registry() -> None:
    configured = cluster({"mirroring": {"privateRegistry": "old.local:5000"}})
    images = images_to_push(configured, REG)
    assert images and all(i.target.startswith(f"{REG}/") for i in images)
    pause = next(i for i in images if i.source.startswith("registry.k8s.io/pause:"))
    assert pause.target == f"{REG}/pause:{pause.source.rsplit(':', 1)[1]}"
    assert pause.arches == ("amd64", "arm64")  # every arch of the cluster's hosts
    assert configured.spec.registry.mirroring.private_registry == "old.local:5000"


def test_images_to_push_applies_the_namespace_override_and_sorts_by_target() -> None:
    images = images_to_push(cluster({"mirroring": {"namespaceOverride": "kx"}}), REG)
    assert all(i.target.startswith(f"{REG}/kx/") for i in images)
    assert [i.target for i in images] == sorted(i.target for i in images)
    assert len({i.source for i in images}) == len(images)


def test_images_to_push_refuses_two_sources_on_one_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = registry_push.resolve_artifacts

    def with_twin(c: Cluster, **kwargs: Any) -> Any:
        result = real(c, **kwargs)
        first = result.images[0]
        twin = ImageArtifact("docker.io/other/" + first.source.rsplit("/", 1)[1], first.target, "x")
        return type(result)(images=(*result.images, twin))

    monkeypatch.setattr(registry_push, "resolve_artifacts", with_twin)
    with pytest.raises(ArtifactError, match="overwrite each other") as caught:
        images_to_push(cluster(), REG)
    assert "namespaceOverride" in caught.value.hint


def test_archive_path_uses_the_cache_layout_or_the_bundle_member(tmp_path: Path) -> None:
    wanted = image()
    assert archive_path(wanted, tmp_path, None) == (
        tmp_path / "images" / image_archive_name(wanted.source)
    )
    entry = BundleImage(wanted.source, wanted.target, ("amd64",), "images/o.oci.tar", "d", "s", 1)
    manifest = BundleManifest("0", "now", "c", "v1.36.4", images=(entry,))
    assert archive_path(wanted, tmp_path, manifest) == tmp_path / "images/o.oci.tar"


def test_locate_archives_reads_the_digest_of_each_archive(tmp_path: Path) -> None:
    path = archive(tmp_path, "quay.io/x/app:1", ("amd64", "arm64"))
    (found,) = locate_archives([image(arches=("amd64", "arm64"))], tmp_path)
    assert found.archive == path
    assert found.digest.startswith("sha256:") and len(found.digest) == 71


def test_locate_archives_lists_every_missing_image_with_how_to_get_it(tmp_path: Path) -> None:
    archive(tmp_path, "quay.io/x/ok:1")
    archive(tmp_path, "quay.io/x/thin:1", ("amd64",))
    (tmp_path / "images" / image_archive_name("quay.io/x/bad:1")).write_bytes(b"junk")
    wanted = [
        image("quay.io/x/ok:1"),
        image("quay.io/x/gone:1"),
        image("quay.io/x/thin:1", ("amd64", "arm64")),
        image("quay.io/x/bad:1"),
    ]
    with pytest.raises(ArtifactError) as caught:
        locate_archives(wanted, tmp_path)
    message = caught.value.message
    assert message.startswith("3 images to push have no usable archive")
    assert "quay.io/x/gone:1: no archive at" in message
    assert "has no arm64 platform" in message and "quay.io/x/bad:1" in message
    assert "quay.io/x/ok:1" not in message
    assert "kubexm download" in caught.value.hint and "--bundle" in caught.value.hint


def test_locate_archives_from_a_bundle_says_to_rebuild_it(tmp_path: Path) -> None:
    manifest = BundleManifest("0", "now", "c", "v1.36.4", skipped=("images",))
    with pytest.raises(ArtifactError) as caught:
        locate_archives([image()], tmp_path, manifest)
    assert "--skip images" in caught.value.hint


# ---------------------------------------------------------------- digests and pushes


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> fake_skopeo.FakeSkopeo:
    return fake_skopeo.install(tmp_path, monkeypatch)


def pushable(tmp_path: Path, name: str = "app", arches: tuple[str, ...] = ("amd64",)) -> PushItem:
    source = f"quay.io/x/{name}:1"
    archive(tmp_path, source, arches)
    target = ImageArtifact(source, f"{REG}/x/{name}:1", "test", arches)
    return locate_archives([target], tmp_path)[0]


def test_remote_digest_hashes_the_raw_manifest_bytes(
    tmp_path: Path, fake: fake_skopeo.FakeSkopeo
) -> None:
    one = pushable(tmp_path)
    assert remote_digest(one.image.target, RegistryAccess(REG), None) is None
    assert push_image(one, RegistryAccess(REG), None).status == "pushed"
    raw = base64.b64decode(fake.stored()[one.image.target])
    expected = "sha256:" + hashlib.sha256(raw).hexdigest()
    assert remote_digest(one.image.target, RegistryAccess(REG), None) == expected == one.digest


def test_remote_digest_raises_when_the_registry_cannot_be_read(
    fake: fake_skopeo.FakeSkopeo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_SKOPEO_INSPECT_ERROR", "unauthorized: authentication required")
    with pytest.raises(CommandError, match="unauthorized"):
        remote_digest(f"{REG}/x/app:1", RegistryAccess(REG), None)


def test_remote_digest_passes_tls_cert_and_auth_flags(
    tmp_path: Path, fake: fake_skopeo.FakeSkopeo
) -> None:
    access = RegistryAccess(REG, tls_verify=False, cert_dir=Path("/c"))
    authfile = tmp_path / "auth.json"
    authfile.write_text("{}")
    remote_digest(f"{REG}/x/app:1", access, authfile)
    (call,) = fake.calls("inspect")
    assert call["argv"][call["argv"].index("--authfile") + 1] == str(authfile)
    assert "--tls-verify=false" in call["argv"] and "--raw" in call["argv"]
    assert call["argv"][call["argv"].index("--cert-dir") + 1] == "/c"


def test_push_image_pushes_then_finds_it_unchanged(
    tmp_path: Path, fake: fake_skopeo.FakeSkopeo
) -> None:
    one = pushable(tmp_path)
    first = push_image(one, RegistryAccess(REG), None)
    second = push_image(one, RegistryAccess(REG), None)
    assert (first.status, second.status) == ("pushed", "unchanged")
    assert len(fake.calls("copy")) == 1
    copy_argv = fake.calls("copy")[0]["argv"]
    assert copy_argv[-2:] == [f"oci-archive:{one.archive}", f"docker://{one.image.target}"]
    assert "--multi-arch" in copy_argv and "--dest-tls-verify=true" in copy_argv


def test_push_image_dry_run_only_reads(tmp_path: Path, fake: fake_skopeo.FakeSkopeo) -> None:
    outcome = push_image(pushable(tmp_path), RegistryAccess(REG), None, dry_run=True)
    assert outcome.status == "would-push"
    assert fake.calls("copy") == [] and len(fake.calls("inspect")) == 1


def test_push_image_failure_carries_skopeos_reason_masked(
    tmp_path: Path, fake: fake_skopeo.FakeSkopeo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_SKOPEO_COPY_ERROR", f"denied: user u password {PASSWORD}")
    access = RegistryAccess(REG, username="u", password=PASSWORD)
    outcome = push_image(pushable(tmp_path), access, None)
    assert outcome.status == "failed"
    assert outcome.error == "denied: user u password ******"
    assert PASSWORD not in json.dumps(outcome.to_dict())


def test_push_image_pushes_when_the_read_fails_but_a_dry_run_fails(
    tmp_path: Path, fake: fake_skopeo.FakeSkopeo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_SKOPEO_INSPECT_ERROR", "connection reset")
    one = pushable(tmp_path)
    dry = push_image(one, RegistryAccess(REG), None, dry_run=True)
    assert (dry.status, dry.error) == ("failed", "connection reset")
    assert push_image(one, RegistryAccess(REG), None).status == "pushed"


def test_push_image_without_skopeo_fails_with_the_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = pushable(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    outcome = push_image(one, RegistryAccess(REG), None)
    assert outcome.status == "failed" and "apt-get install skopeo" in outcome.error


def test_push_images_caps_concurrency_and_keeps_the_input_order(
    tmp_path: Path, fake: fake_skopeo.FakeSkopeo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_SKOPEO_DELAY", "0.3")
    items = [pushable(tmp_path, f"app{n}") for n in range(6)]
    seen: list[str] = []
    outcomes = push_images(
        items, RegistryAccess(REG), jobs=2, on_done=lambda o: seen.append(o.item.image.target)
    )
    assert [o.item for o in outcomes] == items
    assert {o.status for o in outcomes} == {"pushed"}
    assert sorted(seen) == sorted(i.image.target for i in items)
    assert fake.max_parallel_copies() == 2


def test_push_images_gives_skopeo_a_private_authfile_never_argv(
    tmp_path: Path, fake: fake_skopeo.FakeSkopeo
) -> None:
    access = RegistryAccess(REG, username="u", password=PASSWORD, tls_verify=False)
    push_images([pushable(tmp_path)], access)
    calls = fake.calls()
    assert [c["argv"][0] for c in calls] == ["inspect", "copy"]
    for call in calls:
        assert PASSWORD not in " ".join(call["argv"])
        assert call["mode"] == 0o600
        assert json.loads(call["authfile"])["auths"][REG]["auth"] == access.auth_value()
    authfile = calls[1]["argv"][calls[1]["argv"].index("--dest-authfile") + 1]
    assert "--dest-tls-verify=false" in calls[1]["argv"]
    assert not Path(authfile).exists()


def test_push_images_rejects_zero_jobs() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        push_images([], RegistryAccess(REG), jobs=0)


def test_push_images_drops_queued_pushes_when_interrupted(
    tmp_path: Path, fake: fake_skopeo.FakeSkopeo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_SKOPEO_DELAY", "0.2")
    items = [pushable(tmp_path, f"app{n}") for n in range(5)]

    def interrupt(_: object) -> None:
        raise KeyboardInterrupt

    access = RegistryAccess(REG, username="u", password=PASSWORD)
    with pytest.raises(KeyboardInterrupt):
        push_images(items, access, jobs=1, on_done=interrupt)
    copies = fake.calls("copy")
    assert 1 <= len(copies) <= 2  # the first, and the one running when it finished
    authfile = copies[0]["argv"][copies[0]["argv"].index("--dest-authfile") + 1]
    assert not Path(authfile).exists()
