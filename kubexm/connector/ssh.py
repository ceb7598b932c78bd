"""The SSH transport on asyncssh: one connection per host, reused for every command and file.

Connecting first loads the configured private keys (a key that cannot be used is an error
naming its config field, before anything is dialled), verifies the host key against the
cluster's known_hosts (trust on first use), authenticates with a key (file or inline, with
passphrase), the ssh-agent and/or a password, optionally through a bastion with its own
credentials, and retries with backoff only when the network failed (refused, timed out, reset):
a key, authentication or host key failure is final, and a failed command is never retried here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncssh

from kubexm.connector.base import Result
from kubexm.connector.commands import BACKSTOP_GRACE, build_command
from kubexm.connector.diagnose import auth_error, is_retryable, key_error, network_error
from kubexm.connector.hostkeys import HostKeyPolicy, KnownHosts
from kubexm.connector.settings import SSHSettings
from kubexm.connector.shell import ShellConnection
from kubexm.errors import CommandError, CommandTimeout, ConnectError
from kubexm.util.redact import redact
from kubexm.util.shell import quote

log = logging.getLogger("kubexm.connector")

# OpenSSH allows 10 sessions per connection by default (MaxSessions); one is the SFTP channel.
MAX_CHANNELS = 8
KEEPALIVE_COUNT_MAX = 3
# AES-GCM first: with AES-NI it moves bulk data ~1.5x faster than asyncssh's default
# (chacha20-poly1305), measured by bench/ssh_fanout.py; the rest keep old servers reachable.
CIPHERS = (
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
)

# Files from this size on are streamed into `cat` on an exec channel instead of written by SFTP:
# no SFTP request framing on either side, about 1.3x the throughput on the lab hosts and less
# client CPU (bench/ssh_fanout.py), for the ~5 ms of starting a process, which smaller files
# would notice.
STREAM_MIN_BYTES = 4 << 20
STREAM_CHUNK = 256 << 10

Keys = Sequence[asyncssh.SSHKey]
# (settings, tunnel, host key policy, the configured keys already loaded) -> a connection.
Dialer = Callable[
    [SSHSettings, "asyncssh.SSHClientConnection | None", HostKeyPolicy, Keys],
    Awaitable[asyncssh.SSHClientConnection],
]


class _Client(asyncssh.SSHClient):
    """Hands every presented host key to our policy instead of ~/.ssh/known_hosts."""

    def __init__(self, policy: HostKeyPolicy) -> None:
        self._policy = policy

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        return self._policy.check(key)


def load_keys(settings: SSHSettings) -> list[asyncssh.SSHKey]:
    """The private keys configured for a host (inline wins over the path), maybe none.

    Raises ``ConnectError`` naming the key's config field and path when the file is missing or
    unreadable, is not a private key, or is encrypted without (the right) passphrase.
    """
    try:
        if settings.private_key:
            return [asyncssh.import_private_key(settings.private_key, settings.passphrase)]
        if settings.private_key_path:
            return [asyncssh.read_private_key(settings.private_key_path, settings.passphrase)]
    except (OSError, asyncssh.KeyImportError, asyncssh.KeyEncryptionError) as exc:
        raise key_error(settings, exc) from exc
    return []


def connect_options(
    settings: SSHSettings,
    policy: HostKeyPolicy,
    keys: Sequence[asyncssh.SSHKeyPair] = (),
    configured: Keys | None = None,
) -> dict[str, Any]:
    """asyncssh.connect keywords: only what the settings say, nothing from ~/.ssh.

    ``keys`` are the agent's keys (see ``agent_keys``), tried first; ``configured`` the keys
    of the settings, loaded here when not given (``load_keys`` and its errors).
    """
    mine = load_keys(settings) if configured is None else configured
    every: list[asyncssh.SSHKey | asyncssh.SSHKeyPair] = [*keys, *mine]
    return {
        "username": settings.user,
        "password": settings.password,
        # None disables public key auth; an empty list would make asyncssh read ~/.ssh.
        "client_keys": every or None,
        "agent_path": None,
        # Our own checks run in _Client; an empty trusted list routes every key there.
        "known_hosts": ([], [], []),
        "server_host_key_algs": policy.preferred_algorithms() or "default",
        "config": None,
        "encryption_algs": list(CIPHERS),
        "connect_timeout": settings.connect_timeout,
        "keepalive_interval": settings.keepalive_interval,
        "keepalive_count_max": KEEPALIVE_COUNT_MAX,
        "client_factory": lambda: _Client(policy),
    }


async def agent_keys(settings: SSHSettings) -> tuple[asyncssh.SSHAgentClient | None, list[Any]]:
    """The ssh-agent (at ``$SSH_AUTH_SOCK``) and its keys when ``use_agent``; the caller
    closes the agent after authenticating. No agent running means no agent keys."""
    if not settings.use_agent:
        return None, []
    agent = await asyncssh.connect_agent()
    if agent is None:
        log.warning("[%s] use_agent is set but no ssh-agent answers", settings.host_name)
        return None, []
    return agent, list(await agent.get_keys())


async def dial(
    settings: SSHSettings,
    tunnel: asyncssh.SSHClientConnection | None,
    policy: HostKeyPolicy,
    keys: Keys = (),
) -> asyncssh.SSHClientConnection:
    """Open one SSH connection with asyncssh (the default dialer; tests inject others), with
    the configured ``keys`` as loaded by ``load_keys``."""
    agent, from_agent = await agent_keys(settings)
    try:
        options = connect_options(settings, policy, from_agent, keys)
        return await asyncssh.connect(settings.address, settings.port, tunnel=tunnel, **options)
    finally:
        if agent is not None:
            agent.close()


async def offered_methods(
    settings: SSHSettings, tunnel: asyncssh.SSHClientConnection | None
) -> list[str] | None:
    """The auth methods the server offers this user, or None when that cannot be learnt."""
    try:
        methods = await asyncio.wait_for(
            asyncssh.get_server_auth_methods(
                settings.address, settings.port, settings.user, tunnel=tunnel, config=None
            ),
            settings.connect_timeout,
        )
    except (OSError, asyncssh.Error):
        return None
    return list(methods)


class _RetryableError(Exception):
    def __init__(self, error: ConnectError) -> None:
        super().__init__(error.message)
        self.error = error


async def _attempt(
    settings: SSHSettings,
    tunnel: asyncssh.SSHClientConnection | None,
    policy: HostKeyPolicy,
    dialer: Dialer,
    keys: Keys,
) -> asyncssh.SSHClientConnection:
    try:
        return await dialer(settings, tunnel, policy, keys)
    except asyncssh.HostKeyNotVerifiable as exc:
        raise policy.error(settings.host_name) from exc
    except asyncssh.PermissionDenied as exc:
        raise auth_error(settings, await offered_methods(settings, tunnel)) from exc
    except (OSError, asyncssh.Error) as exc:
        if is_retryable(exc):
            raise _RetryableError(network_error(settings, exc)) from exc
        raise network_error(settings, exc) from exc


async def open_ssh(
    settings: SSHSettings,
    tunnel: asyncssh.SSHClientConnection | None = None,
    dialer: Dialer = dial,
    keys: Keys | None = None,
) -> asyncssh.SSHClientConnection:
    """Connect with up to ``connect_retries`` retries (backoff doubling from
    ``retry_backoff`` seconds) for network failures only. Raises ``ConnectError``; one about
    the configured key (``load_keys``, when ``keys`` are not given) before any dial."""
    if keys is None:
        keys = load_keys(settings)
    policy = HostKeyPolicy(
        KnownHosts(settings.known_hosts_path),
        settings.address,
        settings.port,
        settings.accept_new_host_key,
    )
    for attempt in range(settings.connect_retries + 1):
        try:
            return await _attempt(settings, tunnel, policy, dialer, keys)
        except _RetryableError as retry:
            if attempt == settings.connect_retries:
                raise retry.error from retry.__cause__
            delay = settings.retry_backoff * 2**attempt
            log.debug("[%s] %s; retrying in %.1fs", settings.host_name, retry.error, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")


async def connect_ssh(settings: SSHSettings, *, dialer: Dialer = dial) -> SSHConnection:
    """Open the connection of one host, through its bastion when one is set.

    Raises ``ConnectError`` (``AuthError``, ``HostKeyError``) with a diagnosis; the bastion is
    closed again when the target cannot be reached through it. The keys of both are loaded
    before either is dialled, so a key that cannot be used fails without touching the network.
    """
    hop = settings.bastion
    hop_keys = load_keys(hop) if hop is not None else []
    keys = load_keys(settings)
    bastion = None
    if hop is not None:
        if hop.known_hosts_path is None:
            hop = dataclasses.replace(hop, known_hosts_path=settings.known_hosts_path)
        bastion = await open_ssh(hop, None, dialer, hop_keys)
    try:
        conn = await open_ssh(settings, bastion, dialer, keys)
    except BaseException:
        if bastion is not None:
            bastion.close()
        raise
    log.debug("[%s] connected to %s:%d", settings.host_name, settings.address, settings.port)
    return SSHConnection(settings, conn, bastion)


class SSHConnection(ShellConnection):
    """A ``Connection`` over one SSH connection (plus its bastion's, if any).

    ``diagnostics`` collects warnings the caller should show (e.g. slow sudo).
    """

    def __init__(
        self,
        settings: SSHSettings,
        conn: asyncssh.SSHClientConnection,
        bastion: asyncssh.SSHClientConnection | None = None,
    ) -> None:
        super().__init__(
            settings.host_name,
            settings.user,
            is_root=settings.is_root,
            sudo_password=settings.effective_sudo_password,
            secrets=settings.secrets(),
        )
        self._settings = settings
        self._conn = conn
        self._bastion = bastion
        self._channels = asyncio.Semaphore(MAX_CHANNELS)
        self._sftp: asyncssh.SFTPClient | None = None
        self._sftp_lock = asyncio.Lock()
        self._closed = False

    async def _exec(
        self, command: str, data: bytes | None, timeout: float | None, shown: str
    ) -> Result:
        """Run a finished command line; a backstop closes the channel if the host stalls."""
        backstop = None if timeout is None else timeout + BACKSTOP_GRACE
        try:
            async with self._channels:
                done = await self._conn.run(
                    command, input=data, encoding=None, check=False, timeout=backstop
                )
        except asyncssh.TimeoutError as exc:
            raise CommandTimeout(self.host, redact(shown, self._secrets), timeout or 0) from exc
        except (OSError, asyncssh.Error) as exc:
            raise ConnectError(
                self.host,
                f"connection lost while running a command: {exc}",
                "check that the host is up and sshd is running",
            ) from exc
        status = done.returncode if done.returncode is not None else 255
        return Result(status, _text(done.stdout), _text(done.stderr))

    async def upload_file(self, src: Path | bytes, path: str) -> None:
        """Write ``src`` to ``path``, created 0600 before any data goes in so nobody else can
        read it: a large local file is streamed into ``cat`` (see ``stream_file``), anything
        else goes by SFTP (a file with pipelined requests). Raises ``CommandError``,
        ``OSError`` or ``asyncssh.Error``; a half-written ``path`` is the caller's to remove."""
        if isinstance(src, Path) and src.stat().st_size >= STREAM_MIN_BYTES:
            await self.stream_file(src, path)
            return
        sftp = await self._sftp_client()
        attrs = asyncssh.SFTPAttrs(permissions=0o600)
        async with sftp.open(path, "wb", attrs) as remote:
            if isinstance(src, bytes):
                await remote.write(src)
        if isinstance(src, Path):
            # Follow a local symlink: the host gets the file, not a link to our path.
            await sftp.put(str(src), path, follow_symlinks=True)

    async def stream_file(self, src: Path, path: str) -> None:
        """Pipe the local file ``src`` into ``cat`` writing the new file ``path`` (umask 077,
        noclobber: an existing ``path`` is refused). Returns or raises only once ``cat`` has
        exited, so whatever it left is there for the caller to rename or remove.
        Raises ``CommandError`` when ``cat`` failed (with its message), else the ``OSError``
        or ``asyncssh.Error`` of reading ``src`` or of the connection."""
        command = build_command(f"umask 077 && set -C && exec cat > {quote(path)}")
        async with self._channels:
            process = await self._conn.create_process(command, encoding=None)
            try:
                for chunk in _chunks(src):
                    process.stdin.write(chunk)
                    await process.stdin.drain()
            except Exception:
                done = await _end(process)
                if done.returncode:  # cat stopped first (no space, ...): its message says why
                    raise self._write_error(path, done) from None
                raise
            except BaseException:
                process.close()
                raise
            done = await _end(process)
        if done.returncode != 0:
            raise self._write_error(path, done)

    def _write_error(self, path: str, done: asyncssh.SSHCompletedProcess) -> CommandError:
        return CommandError(self.host, f"write {path}", done.returncode, "", _text(done.stderr))

    async def download_file(self, path: str, local: Path) -> None:
        """Read ``path`` by SFTP into the local file ``local``."""
        sftp = await self._sftp_client()
        await sftp.get(path, str(local))

    async def exists(self, path: str) -> bool:
        """Whether ``path`` exists, by an SFTP stat. Raises ``asyncssh.SFTPError``."""
        return await (await self._sftp_client()).exists(path)

    async def make_dirs(self, path: str) -> None:
        """``mkdir -p`` by SFTP. Raises ``asyncssh.SFTPError``."""
        await (await self._sftp_client()).makedirs(path, exist_ok=True)

    async def place(self, tmp: str, path: str, mode: int) -> None:
        """chmod ``tmp`` and rename it over ``path`` atomically (OpenSSH's posix-rename)."""
        sftp = await self._sftp_client()
        await sftp.chmod(tmp, mode)
        await sftp.posix_rename(tmp, path)

    async def _sftp_client(self) -> asyncssh.SFTPClient:
        async with self._sftp_lock:
            if self._sftp is None:
                self._sftp = await self._conn.start_sftp_client()
            return self._sftp

    async def close(self) -> None:
        """Close SFTP, the connection, then the bastion; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._sftp is not None:
            self._sftp.exit()
        self._conn.close()
        await self._conn.wait_closed()
        if self._bastion is not None:
            self._bastion.close()
            await self._bastion.wait_closed()


def _text(data: object) -> str:
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    return str(data or "")


def _chunks(src: Path) -> Iterator[bytes]:
    """The bytes of ``src`` in ``STREAM_CHUNK`` pieces. Raises ``OSError``."""
    with src.open("rb") as stream:
        while chunk := stream.read(STREAM_CHUNK):
            yield chunk


async def _end(process: asyncssh.SSHClientProcess[bytes]) -> asyncssh.SSHCompletedProcess:
    """Send EOF (unless the channel is gone already) and wait until the command exited."""
    with contextlib.suppress(OSError, asyncssh.Error):
        process.stdin.write_eof()
    return await process.wait()
