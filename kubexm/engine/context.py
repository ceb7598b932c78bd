"""What the engine needs from the runtime per host, and the context it hands to a step."""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubexm.cache import Scope, ScopedCache
from kubexm.connector.base import Connection
from kubexm.errors import StepError

_LOG = logging.getLogger("kubexm.engine")


class HostEnv(Protocol):
    """The runtime's per-host services; ``kubexm.runtime`` provides the real one."""

    def connection(self, host: str) -> Connection: ...

    def facts(self, host: str) -> Mapping[str, object]: ...

    def cache(self, host: str) -> ScopedCache: ...


@dataclass
class StaticEnv:
    """A ``HostEnv`` over fixed connections and facts; each host gets a task-scope cache
    under one pipeline-scope root.

    ``connection`` of an unknown host raises ``StepError``.
    """

    connections: Mapping[str, Connection]
    host_facts: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    root: ScopedCache = field(default_factory=lambda: ScopedCache(Scope.PIPELINE))
    caches: dict[str, ScopedCache] = field(default_factory=dict)

    def connection(self, host: str) -> Connection:
        try:
            return self.connections[host]
        except KeyError:
            raise StepError(
                f"no connection for host {host}", "the host is not in the inventory"
            ) from None

    def facts(self, host: str) -> Mapping[str, object]:
        return self.host_facts.get(host, {})

    def cache(self, host: str) -> ScopedCache:
        cache = self.caches.get(host)
        if cache is None:
            cache = self.caches[host] = self.root.child(Scope.TASK)
        return cache


class _StepLog(logging.LoggerAdapter[logging.Logger]):
    """Prefixes messages with ``[host] step:`` so every line says where it came from."""

    def process(
        self, msg: object, kwargs: MutableMapping[str, Any]
    ) -> tuple[object, MutableMapping[str, Any]]:
        extra = self.extra or {}
        return f"[{extra.get('host')}] {extra.get('step')}: {msg}", kwargs


class NodeContext:
    """The ``StepContext`` the engine builds for one node; steps see only this.

    The logger adapter is made on first use: most steps of a large run never log.
    """

    __slots__ = ("_log", "cache", "conn", "dry_run", "facts", "host", "step")

    def __init__(
        self,
        host: str,
        conn: Connection,
        facts: Mapping[str, object],
        cache: ScopedCache,
        step: str,
        *,
        dry_run: bool,
    ) -> None:
        self.host = host
        self.conn = conn
        self.facts = facts
        self.cache = cache
        self.step = step
        self.dry_run = dry_run
        self._log: logging.LoggerAdapter[logging.Logger] | None = None

    @property
    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        if self._log is None:
            self._log = _StepLog(_LOG, {"host": self.host, "step": self.step})
        return self._log


def node_context(env: HostEnv, host: str, step: str, *, dry_run: bool) -> NodeContext:
    """Build the context for ``step`` on ``host`` (raises what ``env`` raises)."""
    conn, facts, cache = env.connection(host), env.facts(host), env.cache(host)
    return NodeContext(host, conn, facts, cache, step, dry_run=dry_run)
