"""One human reason per connection failure."""

from __future__ import annotations

import errno
import socket

import asyncssh
import pytest

from kubexm.connector.diagnose import (
    auth_error,
    configured_methods,
    is_retryable,
    network_error,
)
from kubexm.connector.settings import SSHSettings
from kubexm.errors import AuthError

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
        pytest.param(
            asyncssh.KeyEncryptionError("Incorrect passphrase"), "could not decrypt", id="phrase"
        ),
        pytest.param(
            asyncssh.KeyImportError("OpenSSH private key encryption requires bcrypt with KDF"),
            "without the bcrypt package",
            id="bcrypt-missing",
        ),
        pytest.param(
            asyncssh.KeyImportError("Invalid private key"),
            "could not read the private key",
            id="bad-key",
        ),
        pytest.param(asyncssh.ConnectionLost("reset"), "closed the connection: reset", id="lost"),
        pytest.param(ValueError("odd"), "cannot connect to 10.0.0.5:2222: odd", id="other"),
    ],
)
def test_network_error_names_the_reason(exc: BaseException, message: str) -> None:
    error = network_error(S, exc)

    assert error.host == "node1"
    assert message in error.message


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
