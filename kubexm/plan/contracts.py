"""The contracts the engine executes and the planners build on.

They live in ``plan`` because the layer order puts ``engine`` below ``step``: the engine
executes anything that satisfies ``Executable`` and hands it a ``StepContext``, so steps never
see the engine and the engine never imports a step.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from kubexm.cache import ScopedCache
from kubexm.connector.base import Connection
from kubexm.errors import CommandTimeout, ConnectError, TransferError


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failed ``run`` is tried again.

    ``attempts`` counts the first try; a delay of ``backoff * factor**(n-1)`` (capped at
    ``max_delay``) separates tries. Only errors that are instances of ``retry_on`` are retried;
    any other error fails the node at once. Every attempt runs ``check`` first, so a retry
    after a half-done ``run`` sees what is already in place. A step timeout (``TimeoutError``)
    is not retried unless listed.
    """

    attempts: int = 1
    backoff: float = 1.0
    factor: float = 2.0
    max_delay: float = 30.0
    retry_on: tuple[type[BaseException], ...] = field(
        default=(ConnectError, CommandTimeout, TransferError)
    )

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.max_delay, self.backoff * self.factor ** (attempt - 1)))

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        """True when ``error`` on attempt ``attempt`` deserves another try."""
        return attempt < self.attempts and isinstance(error, self.retry_on)


NO_RETRY = RetryPolicy()


@runtime_checkable
class StepContext(Protocol):
    """What a step sees while it runs on one host: nothing of the engine.

    ``cache`` is the host's scoped cache of this run (the runtime picks the scope and its
    parents); ``log`` is bound to ``[host] step`` already.
    """

    @property
    def host(self) -> str: ...

    @property
    def conn(self) -> Connection: ...

    @property
    def facts(self) -> Mapping[str, object]: ...

    @property
    def cache(self) -> ScopedCache: ...

    @property
    def log(self) -> logging.LoggerAdapter[logging.Logger]: ...

    @property
    def dry_run(self) -> bool: ...


@runtime_checkable
class Executable(Protocol):
    """One unit the engine runs on one host (a step).

    ``name`` is path-style (``etcd/write-etcd-config``) and, with the host, makes the node id.
    ``fingerprint()`` is a stable hash of the typed inputs; resume re-runs a node whose
    fingerprint changed. ``bulk`` steps count against the bulk-upload cap; steps with a
    ``serial_group`` run one at a time across the cluster.
    """

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def bulk(self) -> bool: ...

    @property
    def serial_group(self) -> str | None: ...

    @property
    def timeout(self) -> float: ...

    @property
    def retry(self) -> RetryPolicy: ...

    def describe(self) -> str: ...

    def fingerprint(self) -> str: ...

    async def check(self, ctx: StepContext) -> bool: ...

    async def run(self, ctx: StepContext) -> None: ...


@runtime_checkable
class Rollbackable(Protocol):
    """A step that can undo its own ``run``; the engine calls it only in rollback mode."""

    async def rollback(self, ctx: StepContext) -> None: ...


@runtime_checkable
class PlanContext(Protocol):
    """The read-only view planners (tasks, modules, pipelines) get: config and facts.

    Planning is pure: nothing here touches a host.
    """

    @property
    def config(self) -> object: ...

    def hosts_with_role(self, role: str) -> Sequence[str]: ...

    def facts(self, host: str) -> Mapping[str, object]: ...
