"""check_cached_files: a cached release file is checked against its pin before a run uses it,
hashed again only when its stat changed; stand-ins pass only when allowed."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from kubexm.errors import ArtifactError
from kubexm.resource import cache_verify
from kubexm.resource.cache_verify import RECORD_NAME, DigestRecord, check_cached_files
from kubexm.resource.model import FileArtifact

GOOD = b"the upstream containerd"


def artifact(pin: bytes | None = GOOD, component: str = "containerd") -> FileArtifact:
    digest = hashlib.sha256(pin).hexdigest() if pin is not None else None
    return FileArtifact(component, "2.3.4", "amd64", f"{component}.tar.gz", "u", digest)


def place(cache: Path, body: bytes, component: str = "containerd") -> Path:
    path = cache / artifact(component=component).cache_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path


@pytest.fixture
def no_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: object) -> str:
        raise AssertionError(f"hashed {path} again")

    monkeypatch.setattr(cache_verify, "sha256_file", refuse)


def test_a_cached_file_with_a_wrong_digest_is_caught(tmp_path: Path) -> None:
    place(tmp_path, b"a fake containerd")

    with pytest.raises(ArtifactError) as caught:
        check_cached_files(tmp_path, [artifact()])

    assert "containerd/2.3.4/amd64/containerd.tar.gz: sha256 " in caught.value.message
    assert f"differs from the pinned {artifact().sha256}" in caught.value.message
    assert "kubexm download" in str(caught.value.hint)


def test_a_matching_file_is_recorded_and_not_hashed_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    place(tmp_path, GOOD)
    assert check_cached_files(tmp_path, [artifact()]) == ()
    assert (tmp_path / RECORD_NAME).is_file()

    monkeypatch.setattr(cache_verify, "sha256_file", lambda path: pytest.fail(f"hashed {path}"))

    assert check_cached_files(tmp_path, [artifact()]) == ()


def test_a_file_changed_after_it_was_recorded_is_hashed_and_caught(tmp_path: Path) -> None:
    path = place(tmp_path, GOOD)
    check_cached_files(tmp_path, [artifact()])
    path.write_bytes(b"the upstream containerd, edited")

    with pytest.raises(ArtifactError, match="differs from the pinned"):
        check_cached_files(tmp_path, [artifact()])


def test_missing_and_unpinned_files_are_passed_over(tmp_path: Path, no_hashing: None) -> None:
    place(tmp_path, b"anything", component="helm")

    assert check_cached_files(tmp_path, [artifact(), artifact(None, "helm")]) == ()


def test_without_save_nothing_is_written(tmp_path: Path) -> None:
    place(tmp_path, GOOD)

    check_cached_files(tmp_path, [artifact()], save=False)

    assert not (tmp_path / RECORD_NAME).exists()


def test_a_recorded_stand_in_needs_allow_standins(tmp_path: Path) -> None:
    body = b"#!/bin/sh\necho stand-in\n"
    place(tmp_path, body)
    record = DigestRecord(tmp_path)
    record.put(artifact().cache_path, hashlib.sha256(body).hexdigest(), "stand-in")
    record.save()

    with pytest.raises(ArtifactError) as caught:
        check_cached_files(tmp_path, [artifact()])
    accepted = check_cached_files(tmp_path, [artifact()], allow_standins=True)

    assert "1 cached file is a stand-in" in caught.value.message
    assert "--allow-standins" in str(caught.value.hint)
    assert accepted == (artifact().cache_path,)


def test_a_stand_in_label_does_not_cover_other_content(tmp_path: Path) -> None:
    path = place(tmp_path, b"stand-in")
    record = DigestRecord(tmp_path)
    record.put(artifact().cache_path, hashlib.sha256(b"stand-in").hexdigest(), "stand-in")
    record.save()
    path.write_bytes(b"swapped after staging")
    os.utime(path, ns=(1, 1))

    with pytest.raises(ArtifactError, match="differs from the pinned"):
        check_cached_files(tmp_path, [artifact()], allow_standins=True)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param(json.dumps({"version": 99, "files": {}}), id="other-version"),
        pytest.param(json.dumps({"version": 1, "files": {"x": [1, 2]}}), id="bad-entry"),
    ],
)
def test_an_unreadable_record_means_hashing_again(tmp_path: Path, text: str) -> None:
    place(tmp_path, b"a fake containerd")
    (tmp_path / RECORD_NAME).write_text(text)

    with pytest.raises(ArtifactError, match="differs from the pinned"):
        check_cached_files(tmp_path, [artifact()])
