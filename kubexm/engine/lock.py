"""Locks that keep two runs apart: one on the cluster's work dir, one file on every host.

The work-dir lock (``<work dir>/lock``) stops two kubexm processes on this machine from
working on one cluster. The host lock (``/var/lock/kubexm.lock``, or ``/run/kubexm.lock`` where
``/var/lock`` is missing) stops runs from different machines from touching one host at once.
Both record holder, command, pid and time, so the error names who holds them.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import logging
import os
import shlex
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

from kubexm.connector.base import Connection
from kubexm.errors import StateError, StepError
from kubexm.plan import NO_RETRY, Fragment, RetryPolicy, StepContext, node_id

LOCK_FILE = "lock"
_log = logging.getLogger(__name__)
HOST_LOCK_DIRS = ("/var/lock", "/run")


@dataclass(frozen=True)
class LockInfo:
    """Who holds a lock: ``holder`` is user@machine, ``pid`` the kubexm process there."""

    holder: str
    command: str
    pid: int
    time: float
    run_id: str = ""

    @classmethod
    def current(cls, command: str, run_id: str = "") -> LockInfo:
        holder = f"{_user()}@{socket.gethostname()}"
        return cls(holder, command, os.getpid(), time.time(), run_id)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def parse(cls, text: str) -> LockInfo | None:
        """The info in a lock file, or None when it is not ours or is damaged."""
        try:
            doc = json.loads(text)
            return cls(
                str(doc["holder"]),
                str(doc["command"]),
                int(doc["pid"]),
                float(doc["time"]),
                str(doc.get("run_id", "")),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.time))
        return f"{self.holder} (pid {self.pid}, {self.command!r}, since {since})"

    def is_stale_here(self) -> bool:
        """True when the holder ran on this machine and its process is gone."""
        return self.holder.endswith(f"@{socket.gethostname()}") and not pid_alive(self.pid)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def pid_alive(pid: int) -> bool:
    """True when a process with ``pid`` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkDirLock:
    """The lock on ``<work dir>/lock``; use as a context manager.

    ``acquire`` raises ``StateError`` when another live run holds it, naming the holder. A
    lock left by a dead kubexm process of this machine (a killed run) is taken over, so
    running the command again resumes; takeovers are serialised by ``flock`` on a guard file.
    """

    def __init__(self, work_dir: Path, command: str) -> None:
        self.path = work_dir / LOCK_FILE
        self.info = LockInfo.current(command)
        self._held = False

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        guard = self.path.with_name(self.path.name + ".guard")
        with guard.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                self._create()
            except FileExistsError:
                self._take_over_stale()

    def _create(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(self.info.to_json() + "\n")
        self._held = True

    def _take_over_stale(self) -> None:
        try:
            other = LockInfo.parse(self.path.read_text(encoding="utf-8"))
        except OSError:
            other = None
        if other is None or not other.is_stale_here():
            raise self._held_error()
        _log.warning("taking over the lock of %s, which is no longer running", other.describe())
        self.path.unlink(missing_ok=True)
        self._create()

    def _held_error(self) -> StateError:
        try:
            other = LockInfo.parse(self.path.read_text(encoding="utf-8"))
        except OSError:
            other = None
        if other is None:
            return StateError(
                f"the cluster work dir is locked by an unreadable lock file {self.path}",
                f"if no kubexm run is active, remove {self.path}",
            )
        return StateError(
            f"another kubexm run holds the cluster work dir: {other.describe()}",
            f"wait for it to finish; if it is gone, remove {self.path}",
        )

    def release(self) -> None:
        """Remove the lock file if this object holds it; safe to call twice."""
        if self._held:
            self._held = False
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def __enter__(self) -> WorkDirLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _lock_path_shell() -> str:
    first, second = HOST_LOCK_DIRS
    return f'd={first}; [ -d "$d" ] || d={second}; f="$d/kubexm.lock"'


async def read_host_lock(conn: Connection) -> LockInfo | None:
    """The lock on the host, or None when there is none (or it is unreadable)."""
    res = await conn.run(f'{_lock_path_shell()}; cat "$f" 2>/dev/null || true', sudo=True)
    return LockInfo.parse(res.stdout.strip()) if res.stdout.strip() else None


async def acquire_host_lock(conn: Connection, info: LockInfo) -> None:
    """Create the host's lock file for ``info`` (no-op when ``info``'s run already holds it).

    A lock left by a dead kubexm process of this machine is taken over. Any other holder
    raises ``StepError`` naming it; ``CommandError`` when the host cannot run the command.
    """
    current = await read_host_lock(conn)
    if current is not None and current.run_id == info.run_id and current.pid == info.pid:
        return
    if current is not None and not current.is_stale_here():
        raise StepError(
            f"[{conn.host}] host is locked by another kubexm run: {current.describe()}",
            "wait for that run to finish; if it is gone, remove /var/lock/kubexm.lock "
            "(or /run/kubexm.lock) on the host",
        )
    payload = shlex.quote(info.to_json())
    clobber = "" if current is None else 'rm -f "$f"; '
    await conn.run(
        f"{_lock_path_shell()}; {clobber}(set -C; printf '%s\\n' {payload} > \"$f\")", sudo=True
    )


async def release_host_lock(conn: Connection, info: LockInfo) -> None:
    """Remove the host's lock file when ``info``'s run holds it; otherwise leave it."""
    current = await read_host_lock(conn)
    if current is not None and current.run_id == info.run_id:
        await conn.run(f'{_lock_path_shell()}; rm -f "$f"', sudo=True)


@dataclass(frozen=True)
class AcquireHostLock:
    """Step: the host's lock file names this run. Already done when this run holds it."""

    info: LockInfo
    name: str = "lock/acquire-host-lock"
    title: str = "Acquire the host lock"
    bulk: bool = False
    serial_group: str | None = None
    timeout: float = 60.0
    retry: RetryPolicy = NO_RETRY

    def describe(self) -> str:
        return f"{self.title} for {self.info.command!r}"

    def fingerprint(self) -> str:
        # The run id is part of it: a new run always takes the lock again.
        return f"host-lock:{self.info.run_id}:{self.info.pid}"

    async def check(self, ctx: StepContext) -> bool:
        current = await read_host_lock(ctx.conn)
        return current is not None and current.run_id == self.info.run_id

    async def run(self, ctx: StepContext) -> None:
        await acquire_host_lock(ctx.conn, self.info)


@dataclass(frozen=True)
class ReleaseHostLock(AcquireHostLock):
    """Step: this run's lock file is gone from the host. Done when the run holds no lock."""

    name: str = "lock/release-host-lock"
    title: str = "Release the host lock"

    async def check(self, ctx: StepContext) -> bool:
        return not await super().check(ctx)

    async def run(self, ctx: StepContext) -> None:
        await release_host_lock(ctx.conn, self.info)


def with_host_locks(fragment: Fragment, info: LockInfo) -> Fragment:
    """A fragment where every host's nodes run between acquire and release.

    The nodes of ``fragment`` are shared, not copied: they gain the edge to the acquire node.

    Every node on host h waits for ``lock/acquire-host-lock@h``; the release waits for every
    node on h. After a failure the release does not run; the next run from this machine takes
    over the lock because its holder's process is gone.
    """
    out = Fragment(fragment.name)
    acquire, release = AcquireHostLock(info), ReleaseHostLock(info)
    per_host: dict[str, list[str]] = {}
    for node in fragment:
        per_host.setdefault(node.host, []).append(node.id)
    for host in fragment.hosts():
        out.add(acquire, host)
    out.merge(fragment)
    for host in fragment.hosts():
        lock_id = node_id(acquire.name, host)
        for nid in per_host[host]:
            out.nodes[nid].add_dep(lock_id)
        out.add(release, host, after=per_host[host])
    return out
