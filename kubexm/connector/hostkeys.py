"""The cluster's own known_hosts file: trust on first use, then verified.

Entries are OpenSSH-formatted (``host algo base64`` for port 22, ``[host]:port algo base64``
otherwise), one key per host and port, so the file also works with ``ssh -o
UserKnownHostsFile=...``. A changed key is refused with both SHA256 fingerprints, unless the
caller asked to accept new keys (``--accept-new-host-keys``), which replaces the entry.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from kubexm.errors import HostKeyError

log = logging.getLogger("kubexm.connector")

ACCEPT_FLAG = "--accept-new-host-keys"


def host_pattern(address: str, port: int) -> str:
    """The known_hosts name of a host: bare for port 22, ``[address]:port`` otherwise."""
    return address if port == 22 else f"[{address}]:{port}"


@dataclass(frozen=True)
class Entry:
    """One recorded key and the 1-based line it sits on (0 when kept in memory only)."""

    key: asyncssh.SSHKey
    line: int


@dataclass(frozen=True)
class Mismatch:
    """A host presented a key different from the recorded one."""

    expected: str
    presented: str
    line: int


class KnownHosts:
    """Host keys of one cluster; ``path=None`` keeps them in memory for this run only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: dict[str, asyncssh.SSHKey] = {}

    def lookup(self, address: str, port: int) -> Entry | None:
        """The recorded key of a host, or None. Unparseable lines are skipped."""
        name = host_pattern(address, port)
        if self.path is None:
            key = self._memory.get(name)
            return Entry(key, 0) if key else None
        for number, text in enumerate(self._lines(), start=1):
            parts = text.split()
            if len(parts) >= 3 and name in parts[0].split(","):
                try:
                    return Entry(asyncssh.import_public_key(f"{parts[1]} {parts[2]}"), number)
                except asyncssh.KeyImportError:
                    log.warning("ignoring unreadable line %d of %s", number, self.path)
        return None

    def record(self, address: str, port: int, key: asyncssh.SSHKey) -> None:
        """Store ``key`` for the host, replacing any earlier entry of that host."""
        name = host_pattern(address, port)
        if self.path is None:
            self._memory[name] = key
            return
        kept = [t for t in self._lines() if not _names(t, name)]
        kept.append(f"{name} {key.export_public_key('openssh').decode().strip()}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text("".join(f"{t}\n" for t in kept))
        tmp.chmod(0o600)
        tmp.replace(self.path)

    def _lines(self) -> list[str]:
        if self.path is None or not self.path.exists():
            return []
        return self.path.read_text().splitlines()


def _names(text: str, name: str) -> bool:
    parts = text.split()
    return bool(parts) and name in parts[0].split(",")


class HostKeyPolicy:
    """Decides whether a presented host key is trusted; remembers a mismatch to report."""

    def __init__(self, store: KnownHosts, address: str, port: int, accept_new: bool) -> None:
        self.store = store
        self.address = address
        self.port = port
        self.accept_new = accept_new
        self.mismatch: Mismatch | None = None

    def preferred_algorithms(self) -> list[str] | None:
        """Ask the server for the key type already recorded, so it presents the same key."""
        entry = self.store.lookup(self.address, self.port)
        if entry is None:
            return None
        return [alg.decode() for alg in entry.key.sig_algorithms]

    def check(self, key: asyncssh.SSHKey) -> bool:
        """True when ``key`` is recorded, or recorded now (first use or accepted change)."""
        entry = self.store.lookup(self.address, self.port)
        if entry is not None and entry.key == key:
            return True
        if entry is None or self.accept_new:
            if entry is not None:
                log.warning("[%s] replacing changed host key", self.address)
            self.store.record(self.address, self.port, key)
            return True
        self.mismatch = Mismatch(
            expected=f"{entry.key.get_fingerprint('sha256')} ({entry.key.get_algorithm()})",
            presented=f"{key.get_fingerprint('sha256')} ({key.get_algorithm()})",
            line=entry.line,
        )
        return False

    def error(self, host: str) -> HostKeyError:
        """The user-facing error for the remembered mismatch (or an unverifiable key)."""
        where = f"{self.address}:{self.port}"
        if self.mismatch is None:
            return HostKeyError(host, f"host key of {where} could not be verified")
        found = self.mismatch
        place = f"line {found.line} of {self.store.path}" if self.store.path else "its entry"
        return HostKeyError(
            host,
            f"host key of {where} changed: recorded {found.expected}, presented {found.presented}",
            f"if the host was reinstalled, delete {place} or re-run with {ACCEPT_FLAG}; "
            "otherwise something may be intercepting the connection",
        )
