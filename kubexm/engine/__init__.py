"""The async DAG scheduler, its state store, locks, events and progress views."""

from kubexm.engine.context import HostEnv, NodeContext, StaticEnv, node_context
from kubexm.engine.events import SUCCESS, Event, EventKind, JsonlEventLog, Listener, Status
from kubexm.engine.lock import (
    AcquireHostLock,
    LockInfo,
    ReleaseHostLock,
    WorkDirLock,
    acquire_host_lock,
    read_host_lock,
    release_host_lock,
    with_host_locks,
)
from kubexm.engine.result import NodeOutcome, RunResult, RunStatus
from kubexm.engine.scheduler import Engine, EngineOptions, new_run_id, run
from kubexm.engine.state import StateStore

__all__ = [
    "SUCCESS",
    "AcquireHostLock",
    "Engine",
    "EngineOptions",
    "Event",
    "EventKind",
    "HostEnv",
    "JsonlEventLog",
    "Listener",
    "LockInfo",
    "NodeContext",
    "NodeOutcome",
    "ReleaseHostLock",
    "RunResult",
    "RunStatus",
    "StateStore",
    "StaticEnv",
    "Status",
    "WorkDirLock",
    "acquire_host_lock",
    "new_run_id",
    "node_context",
    "read_host_lock",
    "release_host_lock",
    "run",
    "with_host_locks",
]
