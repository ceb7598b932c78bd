from __future__ import annotations

from pathlib import Path

import pytest
from runtime_helpers import CONFIG, loaded_config

from kubexm.connector.settings import LocalSettings, SSHSettings
from kubexm.errors import AuthError, CommandTimeout, ConnectError, KubexmError
from kubexm.runtime.connect import host_settings, select_hosts, unreachable_error


def test_ssh_host_inherits_global_login_and_timeout() -> None:
    got = host_settings(loaded_config().cluster, "m1", Path("/wd/known_hosts"))
    assert isinstance(got, SSHSettings)
    assert (got.address, got.port, got.user, got.connect_timeout) == ("10.0.0.11", 22, "ops", 7)
    assert got.password == "gl0bal-Secret"
    assert got.known_hosts_path == Path("/wd/known_hosts")


def test_ssh_host_with_own_key_uses_only_its_own_credentials() -> None:
    got = host_settings(loaded_config().cluster, "w1", None)
    assert isinstance(got, SSHSettings)
    assert (got.port, got.private_key_path, got.password) == (2222, Path("/keys/w1"), None)
    assert got.connect_timeout == 3
    assert got.key_field == "spec.hosts[1].privateKeyPath"


def test_local_host_gets_local_settings_with_the_sudo_password() -> None:
    got = host_settings(loaded_config().cluster, "w2", None)
    assert got == LocalSettings(host_name="w2", sudo_password="gl0bal-Secret")


SUDO_CONFIG = CONFIG.replace(
    '    password: "gl0bal-Secret"\n',
    '    privateKeyPath: /keys/all\n    sudoPassword: "sud0-Secret"\n',
)


def test_key_login_carries_the_sudo_password_to_ssh_settings() -> None:
    got = host_settings(loaded_config(SUDO_CONFIG).cluster, "m1", None)
    assert isinstance(got, SSHSettings)
    assert (got.password, got.private_key_path) == (None, Path("/keys/all"))
    assert got.sudo_password == "sud0-Secret"
    assert got.key_field == "spec.global.privateKeyPath"


def test_local_host_prefers_the_sudo_password() -> None:
    got = host_settings(loaded_config(SUDO_CONFIG).cluster, "w2", None)
    assert got == LocalSettings(host_name="w2", sudo_password="sud0-Secret")


def test_unknown_host_settings_raise_key_error() -> None:
    with pytest.raises(KeyError):
        host_settings(loaded_config().cluster, "nope", None)


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        pytest.param(None, ["m1", "w1", "w2"], id="all"),
        pytest.param(["w2", "m1"], ["m1", "w2"], id="subset-in-config-order"),
        pytest.param([], [], id="none"),
    ],
)
def test_select_hosts(wanted: list[str] | None, expected: list[str]) -> None:
    assert select_hosts(loaded_config().cluster, wanted) == expected


def test_select_hosts_names_every_unknown_host() -> None:
    with pytest.raises(KubexmError, match="not in the config: x, y") as info:
        select_hosts(loaded_config().cluster, ["m1", "y", "x"])
    assert "m1, w1, w2" in info.value.hint


def test_unreachable_error_lists_one_line_per_host_without_repeating_the_name() -> None:
    error = unreachable_error(
        {
            "w1": ConnectError("w1", "connection refused", "start sshd"),
            "m1": AuthError("m1", "authentication failed (user=ops)"),
        },
        3,
    )
    lines = error.message.splitlines()
    assert lines[0] == "2 of 3 hosts failed to connect:"
    assert lines[1:] == [
        "  m1: authentication failed (user=ops)",
        "  w1: connection refused (hint: start sshd)",
    ]
    assert error.hint


def test_unreachable_error_names_the_failure_and_one_host() -> None:
    error = unreachable_error({"m1": CommandTimeout("m1", "facts", 120)}, 1, "gave no facts")
    assert error.message.startswith("1 of 1 host gave no facts:\n  m1: ")


def test_accepting_new_host_keys_reaches_the_ssh_settings(tmp_path: Path) -> None:
    cluster = loaded_config().cluster
    name = cluster.spec.hosts[0].name
    strict = host_settings(cluster, name, tmp_path / "known_hosts")
    lenient = host_settings(cluster, name, tmp_path / "known_hosts", accept_new_host_key=True)

    assert isinstance(strict, SSHSettings) and isinstance(lenient, SSHSettings)
    assert not strict.accept_new_host_key and lenient.accept_new_host_key
