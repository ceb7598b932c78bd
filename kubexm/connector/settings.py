"""Resolved, per-host connection settings handed to the connector by its caller.

The connector never reads ``~/.ssh/config``, default key files or environment variables on its
own: whatever it needs is in these frozen values, so a run is reproducible from the config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONNECT_TIMEOUT = 30.0
DEFAULT_KEEPALIVE_INTERVAL = 15.0


@dataclass(frozen=True)
class SSHSettings:
    """How to reach and log into one host over SSH.

    ``host_name`` is the inventory name used in messages; ``address`` is what is dialled (an
    IP or a DNS name, as seen from the bastion when one is set). ``private_key`` is the key
    text itself (PEM/OpenSSH) and wins over ``private_key_path``. ``sudo_password`` falls back
    to ``password`` when unset, as most sites use the login password for sudo.
    ``known_hosts_path`` is the cluster's own known_hosts file (trust on first use); ``None``
    keeps host keys in memory only, for one run. ``accept_new_host_key`` replaces a recorded
    key that changed (the CLI flag ``--accept-new-host-keys``) instead of failing.
    ``key_field`` names where the key was configured (``spec.hosts[2].privateKeyPath``), for
    messages about a key that cannot be used.
    """

    host_name: str
    address: str
    port: int = 22
    user: str = "root"
    password: str | None = field(default=None, repr=False)
    private_key: str | bytes | None = field(default=None, repr=False)
    private_key_path: Path | None = None
    passphrase: str | None = field(default=None, repr=False)
    sudo_password: str | None = field(default=None, repr=False)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    bastion: SSHSettings | None = None
    known_hosts_path: Path | None = None
    use_agent: bool = False
    accept_new_host_key: bool = False
    keepalive_interval: float = DEFAULT_KEEPALIVE_INTERVAL
    connect_retries: int = 2
    retry_backoff: float = 1.0
    key_field: str = ""

    @property
    def is_root(self) -> bool:
        return self.user == "root"

    @property
    def effective_sudo_password(self) -> str | None:
        return self.sudo_password if self.sudo_password is not None else self.password

    def secrets(self) -> tuple[str, ...]:
        """Every secret of this host and its bastion, for redaction of logs and errors."""
        own = [self.password, self.sudo_password, self.passphrase]
        if isinstance(self.private_key, bytes):
            own.append(self.private_key.decode(errors="replace"))
        else:
            own.append(self.private_key)
        found = tuple(s for s in own if s)
        return found + (self.bastion.secrets() if self.bastion else ())


@dataclass(frozen=True)
class LocalSettings:
    """The machine kubexm runs on. ``sudo_password`` is used only when not running as root."""

    host_name: str = "localhost"
    sudo_password: str | None = field(default=None, repr=False)

    def secrets(self) -> tuple[str, ...]:
        return (self.sudo_password,) if self.sudo_password else ()
