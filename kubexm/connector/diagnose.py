"""Translate what asyncssh and the OS raise while connecting into one human reason each.

This is the only place connection failures are interpreted; callers above see
``ConnectError`` (or ``AuthError`` / ``HostKeyError``) with a message and a hint, never a
foreign exception.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Sequence

import asyncssh

from kubexm.connector.settings import SSHSettings
from kubexm.errors import AuthError, ConnectError

# Failures worth another attempt: the host may be booting, restarting sshd or dropping packets.
_RETRYABLE: tuple[type[BaseException], ...] = (
    ConnectionRefusedError,
    ConnectionResetError,
    TimeoutError,
    asyncssh.ConnectionLost,
)

_ERRNO_REASONS = {
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network is unreachable",
    errno.ECONNRESET: "connection reset",
}


def is_retryable(exc: BaseException) -> bool:
    """Whether a connect attempt that raised ``exc`` may succeed when tried again."""
    return isinstance(exc, _RETRYABLE)


def configured_methods(settings: SSHSettings) -> list[str]:
    """The auth methods we hold credentials for, in the order asyncssh tries them."""
    methods = []
    if settings.private_key or settings.private_key_path or settings.use_agent:
        methods.append("publickey")
    if settings.password is not None:
        methods.append("password")
    return methods


def auth_error(settings: SSHSettings, offered: Sequence[str] | None) -> AuthError:
    """``authentication failed (user=ops, offered: publickey,password; tried: publickey)``."""
    mine = configured_methods(settings)
    tried = [m for m in mine if offered is None or m in offered]
    shown = ",".join(offered) if offered else "unknown"
    hint = "check the user, key and password configured for the host"
    if not mine:
        hint = "configure a private key, the ssh-agent or a password for the host"
    elif not tried:
        hint = f"the server accepts {shown}; configure a credential of one of those kinds"
    return AuthError(
        settings.host_name,
        f"authentication failed (user={settings.user}, offered: {shown}; "
        f"tried: {','.join(tried) or 'none'})",
        hint,
    )


def _where(settings: SSHSettings) -> str:
    return f"{settings.address}:{settings.port}"


def network_error(settings: SSHSettings, exc: BaseException) -> ConnectError:
    """The error for a failure before SSH authentication (DNS, TCP, handshake, keys)."""
    host, where = settings.host_name, _where(settings)
    if isinstance(exc, socket.gaierror):
        return ConnectError(
            host,
            f"could not resolve host name {settings.address!r}",
            "check the address in the config and the DNS or /etc/hosts of this machine",
        )
    if isinstance(exc, ConnectionRefusedError):
        return ConnectError(
            host,
            f"connection refused by {where}",
            "check that sshd runs on the host and listens on that port",
        )
    if isinstance(exc, TimeoutError):
        return ConnectError(
            host,
            f"timed out after {settings.connect_timeout:g}s connecting to {where}",
            "check the address, routing and firewall, or raise the connect timeout",
        )
    return _other_error(settings, exc)


def _other_error(settings: SSHSettings, exc: BaseException) -> ConnectError:
    host, where = settings.host_name, _where(settings)
    if isinstance(exc, asyncssh.KeyImportError) and "bcrypt" in str(exc):
        return ConnectError(
            host,
            "cannot decrypt an OpenSSH-format private key without the bcrypt package",
            "pip install bcrypt, or convert the key: ssh-keygen -p -m PKCS8 -f KEY",
        )
    if isinstance(exc, asyncssh.KeyEncryptionError | asyncssh.KeyImportError) and (
        "decrypt" in str(exc) or "passphrase" in str(exc).lower()
    ):
        return ConnectError(
            host,
            "could not decrypt the private key",
            "check the passphrase configured for the key",
        )
    if isinstance(exc, asyncssh.KeyImportError):
        return ConnectError(
            host,
            f"could not read the private key: {exc}",
            "check privateKey / privateKeyPath in the config",
        )
    if isinstance(exc, asyncssh.DisconnectError):
        return ConnectError(
            host, f"{where} closed the connection: {exc.reason}", "check the sshd log on the host"
        )
    if isinstance(exc, OSError):
        reason = _ERRNO_REASONS.get(exc.errno or 0, exc.strerror or str(exc))
        return ConnectError(
            host, f"cannot reach {where}: {reason}", "check the address, routing and firewall"
        )
    return ConnectError(host, f"cannot connect to {where}: {exc}")
