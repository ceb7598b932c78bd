"""The cluster known_hosts file and the trust-on-first-use policy."""

from __future__ import annotations

from pathlib import Path

import asyncssh
import pytest

from kubexm.connector.hostkeys import HostKeyPolicy, KnownHosts, host_pattern
from kubexm.errors import HostKeyError


@pytest.fixture
def key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519").convert_to_public()


@pytest.fixture
def other() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519").convert_to_public()


@pytest.mark.parametrize(
    ("port", "pattern"), [(22, "10.0.0.1"), (2222, "[10.0.0.1]:2222")], ids=["22", "2222"]
)
def test_host_pattern_follows_openssh(port: int, pattern: str) -> None:
    assert host_pattern("10.0.0.1", port) == pattern


def test_record_then_lookup_in_file(tmp_path: Path, key: asyncssh.SSHKey) -> None:
    store = KnownHosts(tmp_path / "sub" / "known_hosts")

    store.record("10.0.0.1", 2222, key)
    entry = KnownHosts(store.path).lookup("10.0.0.1", 2222)

    assert entry is not None and entry.key == key and entry.line == 1
    assert (tmp_path / "sub" / "known_hosts").stat().st_mode & 0o777 == 0o600


def test_record_replaces_only_that_host(
    tmp_path: Path, key: asyncssh.SSHKey, other: asyncssh.SSHKey
) -> None:
    store = KnownHosts(tmp_path / "known_hosts")
    store.record("a", 22, key)
    store.record("b", 22, key)

    store.record("a", 22, other)

    lines = store.path.read_text().splitlines()  # type: ignore[union-attr]  # path is set
    assert [line.split()[0] for line in lines] == ["b", "a"]
    assert store.lookup("a", 22).key == other  # type: ignore[union-attr]  # recorded above


def test_lookup_skips_unreadable_lines(tmp_path: Path, key: asyncssh.SSHKey) -> None:
    path = tmp_path / "known_hosts"
    path.write_text("h ssh-ed25519 not-base64!!\n# comment\n")
    store = KnownHosts(path)
    store.record("h2", 22, key)

    assert store.lookup("h", 22) is None
    assert store.lookup("h2", 22) is not None


def test_memory_store_keeps_keys_for_the_run(key: asyncssh.SSHKey) -> None:
    store = KnownHosts(None)
    store.record("h", 22, key)

    assert store.lookup("h", 22) == store.lookup("h", 22)
    assert store.lookup("h", 22).key == key  # type: ignore[union-attr]  # recorded above
    assert store.lookup("h", 23) is None


def test_policy_trusts_first_use_then_verifies(
    tmp_path: Path, key: asyncssh.SSHKey, other: asyncssh.SSHKey
) -> None:
    policy = HostKeyPolicy(KnownHosts(tmp_path / "kh"), "h", 22, accept_new=False)

    assert policy.check(key) is True
    assert policy.check(key) is True
    assert policy.check(other) is False
    assert policy.mismatch is not None and policy.mismatch.line == 1


def test_policy_error_shows_both_fingerprints_and_the_fix(
    tmp_path: Path, key: asyncssh.SSHKey, other: asyncssh.SSHKey
) -> None:
    policy = HostKeyPolicy(KnownHosts(tmp_path / "kh"), "h", 22, accept_new=False)
    policy.check(key)
    policy.check(other)

    error = policy.error("node1")

    assert isinstance(error, HostKeyError)
    text = str(error)
    assert key.get_fingerprint("sha256") in text and other.get_fingerprint("sha256") in text
    assert f"line 1 of {tmp_path / 'kh'}" in text and "--accept-new-host-keys" in text


def test_policy_error_without_mismatch_says_unverifiable(tmp_path: Path) -> None:
    policy = HostKeyPolicy(KnownHosts(tmp_path / "kh"), "h", 22, accept_new=False)

    assert "could not be verified" in str(policy.error("node1"))


def test_policy_accept_new_replaces_changed_key(
    tmp_path: Path, key: asyncssh.SSHKey, other: asyncssh.SSHKey
) -> None:
    store = KnownHosts(tmp_path / "kh")
    store.record("h", 22, key)

    assert HostKeyPolicy(store, "h", 22, accept_new=True).check(other) is True
    assert store.lookup("h", 22).key == other  # type: ignore[union-attr]  # recorded above


def test_preferred_algorithms_follow_the_recorded_key(tmp_path: Path, key: asyncssh.SSHKey) -> None:
    store = KnownHosts(tmp_path / "kh")
    policy = HostKeyPolicy(store, "h", 22, accept_new=False)
    assert policy.preferred_algorithms() is None

    store.record("h", 22, key)

    assert policy.preferred_algorithms() == ["ssh-ed25519"]
