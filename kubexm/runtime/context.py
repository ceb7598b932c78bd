"""The run context: config, one connection and the facts per host, caches, logger, work dir.

``build`` opens every host in parallel and gathers facts once per host, or fails before any
planning with one error naming every host that is not ready. The context then serves each
layer a narrow view: the engine's ``HostEnv`` (``connection``, ``facts``, ``cache`` of one
host) and the planners' ``PlanContext`` (``config``, ``hosts_with_role``, ``facts``). Steps
see neither; the engine hands them their own host's connection and facts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any

from pydantic import SecretStr

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.cache import Scope, ScopedCache
from kubexm.config import LoadedConfig
from kubexm.connector.base import Connection
from kubexm.connector.pool import ConnectionPool, HostSettings
from kubexm.errors import KubexmError, StepError
from kubexm.logger import RunLogger
from kubexm.runner.facts import Facts, gather_facts
from kubexm.runner.host import Host
from kubexm.runtime.connect import host_settings, select_hosts, unreachable_error
from kubexm.runtime.workdir import WorkDir, work_dir_for
from kubexm.util.yamlio import dump_yaml

_LOG = logging.getLogger(__name__)

DEFAULT_CONNECT_CONCURRENCY = 32
CONFIG_FILE_MODE = 0o600
_EMPTY: Mapping[str, object] = MappingProxyType({})


def facts_mapping(facts: Facts) -> Mapping[str, object]:
    """The read-only ``{field: value}`` view of ``facts`` that steps and planners read."""
    return MappingProxyType({f.name: getattr(facts, f.name) for f in fields(facts)})


class RunContext:
    """What one command run works with. Build it with ``build``; close it (or use
    ``async with``) to close every connection and the logger the context made.

    ``hosts`` are the hosts connected, in config order. Lookups of a host that is not
    connected raise ``StepError`` (``connection``) or give empty facts (``facts``).
    """

    def __init__(
        self,
        loaded: LoadedConfig,
        work_dir: WorkDir,
        logger: RunLogger,
        *,
        dry_run: bool = False,
        owns_logger: bool = False,
        pool: ConnectionPool | None = None,
    ) -> None:
        self.loaded = loaded
        self.work_dir = work_dir
        self.logger = logger
        self.dry_run = dry_run
        self.hosts: list[str] = []
        self.pipeline_cache = ScopedCache(Scope.PIPELINE)
        self._pool = pool or ConnectionPool()
        self._owns_logger = owns_logger
        self._connections: dict[str, Connection] = {}
        self._facts: dict[str, Facts] = {}
        self._views: dict[str, Mapping[str, object]] = {}
        self._caches: dict[str, ScopedCache] = {}
        self._closed = False

    @property
    def run_id(self) -> str:
        return self.logger.run_id

    # -- HostEnv (engine) ---------------------------------------------------------------

    def connection(self, host: str) -> Connection:
        try:
            return self._connections[host]
        except KeyError:
            raise StepError(
                f"no connection for host {host}",
                "the host is not in the config or was not selected for this run",
            ) from None

    def facts(self, host: str) -> Mapping[str, object]:
        """The host's facts as a read-only mapping; empty when they were not gathered."""
        return self._views.get(host, _EMPTY)

    def cache(self, host: str) -> ScopedCache:
        """The host's cache: a child of the pipeline cache, made on first use."""
        cache = self._caches.get(host)
        if cache is None:
            cache = self._caches[host] = self.pipeline_cache.child(Scope.TASK)
        return cache

    # -- PlanContext (planners) ---------------------------------------------------------

    @property
    def config(self) -> Cluster:
        return self.loaded.cluster

    def hosts_with_role(self, role: str) -> list[str]:
        """Names of the config's hosts in ``role`` (connected or not), in roleGroups order.

        Raises ``KeyError`` for a role name that does not exist.
        """
        return [h.name for h in self.config.hosts_in_role(role)]

    def host_facts(self, host: str) -> Facts | None:
        """The typed facts of ``host``; None when they were not gathered."""
        return self._facts.get(host)

    # -- building -----------------------------------------------------------------------

    async def connect(self, settings: list[HostSettings]) -> None:
        """Open every host in parallel; raises ``KubexmError`` naming each unreachable one."""
        started = time.monotonic()
        report = await self._pool.open_all(settings)
        self._connections.update(report.connections)
        if report.failures:
            raise unreachable_error(report.failures, len(settings))
        self.hosts = [s.host_name for s in settings]
        _LOG.debug("connected to %d hosts in %.2fs", len(settings), time.monotonic() - started)

    async def gather(self, limit: int = DEFAULT_CONNECT_CONCURRENCY) -> None:
        """Gather facts of every connected host, ``limit`` at once; raises ``KubexmError``
        naming each host whose facts failed (connection lost, command timeout).
        """
        gate = asyncio.Semaphore(limit)

        async def one(name: str) -> Facts:
            async with gate:
                # Facts are world-readable; no sudo keeps this to one round trip per host.
                return await gather_facts(Host(self._connections[name], sudo=False))

        outcomes = await asyncio.gather(*(one(n) for n in self.hosts), return_exceptions=True)
        failures: dict[str, Exception] = {}
        for name, outcome in zip(self.hosts, outcomes, strict=True):
            if isinstance(outcome, KubexmError):
                failures[name] = outcome
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                self._facts[name] = outcome
                self._views[name] = facts_mapping(outcome)
        if failures:
            raise unreachable_error(failures, len(self.hosts), "gave no facts")

    # -- saving and closing -------------------------------------------------------------

    def save_resolved_config(self) -> Path:
        """Write the resolved config (defaults applied, ranges expanded) to
        ``<work dir>/config.yaml`` and return its path.

        Later commands (``kubeconfig``, ``certs``, ``delete``...) must be able to use it, so
        it keeps the SSH passwords and keys: the file is written mode 0600 inside the 0700
        work dir, through a temporary file and a rename, so a reader never sees half a file.
        Raises ``KubexmError`` when it cannot be written.
        """
        path = self.work_dir.ensure().config
        text = dump_yaml(resolved_document(self.config))
        try:
            _write_private(path, text)
        except OSError as exc:
            raise KubexmError(
                f"cannot save the resolved config to {path}: {exc.strerror}",
                "check the work directory is writable",
            ) from exc
        return path

    async def close(self) -> None:
        """Close every connection and the logger made by ``build``; safe to call twice.

        A connection that fails to close does not stop the others.
        """
        if self._closed:
            return
        self._closed = True
        await self._pool.close_all()
        self._connections.clear()
        if self._owns_logger:
            self.logger.close()

    async def __aenter__(self) -> RunContext:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def resolved_document(cluster: Cluster) -> dict[str, Any]:
    """The config as a plain document that loads back to an equal ``Cluster``: every
    default filled in, host ranges expanded, secrets in clear text.
    """
    dumped = cluster.model_dump(mode="python", by_alias=True, exclude_none=True)
    return {key: _reveal(item) for key, item in dumped.items()}


def _reveal(value: object) -> object:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {key: _reveal(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_reveal(item) for item in value]
    return value


def _write_private(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".config-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), CONFIG_FILE_MODE)
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _run_logger(
    loaded: LoadedConfig, settings: Iterable[HostSettings], work: WorkDir, given: RunLogger | None
) -> tuple[RunLogger, bool]:
    secrets = [*loaded.secrets, *(s for h in settings for s in h.secrets())]
    if given is not None:
        given.add_secret(*secrets)
        return given, False
    return RunLogger(work.root, with_console=False, secrets=secrets), True


async def build(
    loaded: LoadedConfig,
    *,
    work_dir: str | Path | None = None,
    dry_run: bool = False,
    gather: bool = True,
    hosts: Iterable[str] | None = None,
    connect_concurrency: int = DEFAULT_CONNECT_CONCURRENCY,
    logger: RunLogger | None = None,
    accept_new_host_keys: bool = False,
    artifacts: Path | None = None,
) -> RunContext:
    """Open the hosts of ``loaded`` (all, or ``hosts``) in parallel, at most
    ``connect_concurrency`` dials at once, and gather their facts once (unless ``gather`` is
    False).

    The work dir is ``<work_dir>/<name>`` (``work_dir`` is the ``--work-dir`` base; by
    default ``spec.global.workDir`` or ``./.kubexm``). It is created (0700) since known_hosts
    lives there. Without a
    ``logger`` the context makes a ``RunLogger`` writing ``logs/<run-id>.jsonl`` there; a
    given one is only taught the config's secrets.

    Raises ``KubexmError`` listing every host that failed to connect (refused, timeout,
    authentication, host key; one line each) or gave no facts, after closing every
    connection it opened; also for host names not in the config. Connection timeouts come
    from each host's ``timeout`` or ``spec.global.connectionTimeout``.
    ``accept_new_host_keys`` replaces recorded host keys that changed (a reinstalled host).
    ``artifacts`` replaces the work dir's artifact cache for this run (a dry run's view of a
    bundle).
    """
    cluster = loaded.cluster
    names = select_hosts(cluster, hosts)
    work = replace(work_dir_for(cluster, work_dir).ensure(), artifacts_dir=artifacts)
    settings = [
        host_settings(cluster, name, work.known_hosts, accept_new_host_key=accept_new_host_keys)
        for name in names
    ]
    pool = ConnectionPool(connect_concurrency)  # ValueError for a cap below 1, before any I/O
    run_logger, owned = _run_logger(loaded, settings, work, logger)
    ctx = RunContext(loaded, work, run_logger, dry_run=dry_run, owns_logger=owned, pool=pool)
    try:
        await ctx.connect(settings)
        if gather:
            await ctx.gather(connect_concurrency)
    except BaseException:
        await ctx.close()
        raise
    return ctx
