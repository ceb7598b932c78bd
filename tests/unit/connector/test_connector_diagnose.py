"""One human reason per connection failure."""

from __future__ import annotations

import dataclasses
import errno
import socket
from pathlib import Path

import asyncssh
import pytest

from kubexm.connector.diagnose import (
    auth_error,
    configured_methods,
    is_retryable,
    key_error,
    network_error,
)
from kubexm.connector.settings import SSHSettings
from kubexm.errors import AuthError, ConnectError

S = SSHSettings("node1", "10.0.0.5", port=2222, user="ops", connect_timeout=7)


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        pytest.param(socket.gaierror(-2, "x"), "could not resolve host name '10.0.0.5'", id="dns"),
        pytest.param(ConnectionRefusedError(), "connection refused by 10.0.0.5:2222", id="refused"),
        pytest.param(
            TimeoutError(), "timed out after 7s connecting to 10.0.0.5:2222", id="timeout"
        ),
        pytest.param(OSError(errno.EHOSTUNREACH, "x"), "no route to host", id="unreachable"),
        pytest.param(asyncssh.ConnectionLost("reset"), "closed the connection: reset", id="lost"),
        pytest.param(ValueError("odd"), "cannot connect to 10.0.0.5:2222: odd", id="other"),
    ],
)
def test_network_error_names_the_reason(exc: BaseException, message: str) -> None:
    error = network_error(S, exc)

    assert error.host == "node1"
    assert message in error.message


KEY_FILE = SSHSettings(
    "node1",
    "10.0.0.5",
    private_key_path=Path("/keys/id_ed25519"),
    key_field="spec.hosts[0].privateKeyPath",
)
NAMED = "the private key file /keys/id_ed25519 (spec.hosts[0].privateKeyPath)"


@pytest.mark.parametrize(
    ("exc", "message", "hint"),
    [
        pytest.param(
            FileNotFoundError(errno.ENOENT, "No such file or directory"),
            f"{NAMED} does not exist",
            "fix the path",
            id="missing",
        ),
        pytest.param(
            PermissionError(errno.EACCES, "Permission denied"),
            f"{NAMED} cannot be read: permission denied",
            "chmod 600",
            id="unreadable",
        ),
        pytest.param(
            IsADirectoryError(errno.EISDIR, "Is a directory"),
            f"{NAMED} is a directory",
            "name the private key file itself",
            id="directory",
        ),
        pytest.param(
            OSError(errno.EIO, "Input/output error"),
            f"{NAMED} cannot be read: Input/output error",
            "check the file",
            id="io-error",
        ),
        pytest.param(
            asyncssh.KeyImportError("Invalid private key"),
            f"{NAMED} is not a private key kubexm can read: Invalid private key",
            "not the .pub",
            id="not-a-key",
        ),
        pytest.param(
            asyncssh.KeyImportError("Passphrase must be specified to import encrypted keys"),
            f"{NAMED} is encrypted and no passphrase is set for it",
            "kubexm has no setting for a key passphrase: use a key without one",
            id="encrypted",
        ),
        pytest.param(
            asyncssh.KeyImportError("OpenSSH private key encryption requires bcrypt with KDF"),
            f"cannot decrypt {NAMED}: an OpenSSH-format key needs the bcrypt package",
            "pip install bcrypt",
            id="bcrypt-missing",
        ),
    ],
)
def test_key_error_names_host_field_path_and_fix(exc: Exception, message: str, hint: str) -> None:
    error = key_error(KEY_FILE, exc)

    assert isinstance(error, ConnectError)
    assert (error.host, error.message) == ("node1", f"[node1] {message}")
    assert hint in error.hint
    assert "cannot reach" not in str(error)


def test_key_error_for_a_wrong_passphrase_says_so() -> None:
    settings = dataclasses.replace(KEY_FILE, passphrase="not-it")

    error = key_error(settings, asyncssh.KeyEncryptionError("Incorrect passphrase"))

    assert error.message == f"[node1] could not decrypt {NAMED} with its passphrase"
    assert "not-it" not in str(error)


def test_key_error_offers_the_agent_only_when_the_agent_is_used() -> None:
    encrypted = asyncssh.KeyImportError("Passphrase must be specified to import encrypted keys")

    assert "ssh-add" not in key_error(KEY_FILE, encrypted).hint
    with_agent = dataclasses.replace(KEY_FILE, use_agent=True)
    assert "load it into the ssh-agent (ssh-add)" in key_error(with_agent, encrypted).hint


def test_key_error_spots_a_public_key_file() -> None:
    settings = dataclasses.replace(KEY_FILE, private_key_path=Path("/keys/id_ed25519.pub"))

    error = key_error(settings, asyncssh.KeyImportError("Invalid private key"))

    assert error.hint == "that is the public key: name the file without .pub"


def test_key_error_for_an_inline_key_names_its_field() -> None:
    settings = SSHSettings("node1", "h", private_key="junk", key_field="spec.global.privateKey")

    error = key_error(settings, asyncssh.KeyImportError("Invalid private key"))

    assert error.message.startswith("[node1] the private key in spec.global.privateKey is not")
    assert "junk" not in str(error)


@pytest.mark.parametrize(
    ("exc", "retry"),
    [
        pytest.param(ConnectionRefusedError(), True, id="refused"),
        pytest.param(TimeoutError(), True, id="timeout"),
        pytest.param(asyncssh.ConnectionLost("x"), True, id="lost"),
        pytest.param(socket.gaierror(-2, "x"), False, id="dns"),
        pytest.param(asyncssh.PermissionDenied("x"), False, id="auth"),
        pytest.param(asyncssh.HostKeyNotVerifiable("x"), False, id="host-key"),
    ],
)
def test_only_network_failures_are_retryable(exc: BaseException, retry: bool) -> None:
    assert is_retryable(exc) is retry


@pytest.mark.parametrize(
    ("settings", "methods"),
    [
        pytest.param(SSHSettings("n", "h", password="p"), ["password"], id="password"),
        pytest.param(SSHSettings("n", "h", use_agent=True), ["publickey"], id="agent"),
        pytest.param(
            SSHSettings("n", "h", private_key="k", password="p"),
            ["publickey", "password"],
            id="both",
        ),
        pytest.param(SSHSettings("n", "h"), [], id="none"),
    ],
)
def test_configured_methods(settings: SSHSettings, methods: list[str]) -> None:
    assert configured_methods(settings) == methods


def test_auth_error_lists_offered_and_tried() -> None:
    settings = SSHSettings("node1", "h", user="ops", private_key="k")

    error = auth_error(settings, ["publickey", "password"])

    assert isinstance(error, AuthError)
    assert error.message == (
        "[node1] authentication failed (user=ops, offered: publickey,password; tried: publickey)"
    )


def test_auth_error_when_no_offered_method_matches_names_what_to_configure() -> None:
    error = auth_error(SSHSettings("n", "h", password="p"), ["publickey"])

    assert "tried: none" in error.message and "accepts publickey" in error.hint


def test_auth_error_without_credentials_says_to_configure_one() -> None:
    error = auth_error(SSHSettings("n", "h"), None)

    assert "offered: unknown" in error.message and "configure a private key" in error.hint
