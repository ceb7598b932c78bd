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


def _key_named(settings: SSHSettings) -> str:
    """``the private key file /k (spec.hosts[0].privateKeyPath)``, or the inline key."""
    field = settings.key_field
    if settings.private_key or settings.private_key_path is None:
        return f"the private key in {field}" if field else "the inline private key"
    path = settings.private_key_path
    return f"the private key file {path} ({field})" if field else f"the private key file {path}"


_NO_PASSPHRASE_HINT = (
    "kubexm has no setting for a key passphrase: use a key without one"
    " (remove it from a copy: ssh-keygen -p -N '' -f COPY)"
)


def key_error(settings: SSHSettings, exc: BaseException) -> ConnectError:
    """The error for a configured private key that cannot be used: missing, unreadable, not a
    key, or encrypted. It names the key's config field and path; nothing was dialled yet."""
    host, key = settings.host_name, _key_named(settings)
    if isinstance(exc, OSError):
        return _key_file_error(host, key, exc)
    text = str(exc)
    if "bcrypt" in text:
        return ConnectError(
            host,
            f"cannot decrypt {key}: an OpenSSH-format key needs the bcrypt package",
            "pip install bcrypt, or convert the key: ssh-keygen -p -m PKCS8 -f KEY",
        )
    if settings.passphrase is None and "passphrase" in text.lower():
        hint = _NO_PASSPHRASE_HINT
        if settings.use_agent:
            hint = "load it into the ssh-agent (ssh-add) and drop the key file, or use a key"
            hint += " without a passphrase"
        return ConnectError(host, f"{key} is encrypted and no passphrase is set for it", hint)
    if isinstance(exc, asyncssh.KeyEncryptionError) or "decrypt" in text:
        return ConnectError(
            host, f"could not decrypt {key} with its passphrase", "check the key's passphrase"
        )
    hint = "use the private key itself (an OpenSSH or PEM file, not the .pub)"
    if str(settings.private_key_path or "").endswith(".pub") and not settings.private_key:
        hint = "that is the public key: name the file without .pub"
    return ConnectError(host, f"{key} is not a private key kubexm can read: {text}", hint)


def _key_file_error(host: str, key: str, exc: OSError) -> ConnectError:
    if isinstance(exc, FileNotFoundError):
        message = f"{key} does not exist"
        hint = "fix the path (a file on this machine; ~ means your home) or create the key"
    elif isinstance(exc, PermissionError):
        message = f"{key} cannot be read: permission denied"
        hint = "let the user running kubexm read it (chmod 600, owned by that user)"
    elif isinstance(exc, IsADirectoryError):
        message = f"{key} is a directory"
        hint = "name the private key file itself"
    else:
        message = f"{key} cannot be read: {exc.strerror or exc}"
        hint = "check the file and the path in the config"
    return ConnectError(host, message, hint)
