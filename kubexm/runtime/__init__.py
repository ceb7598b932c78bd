"""The run context: config, connections, facts, caches, work dir and logger of one run.

``await build(loaded)`` returns a ``RunContext`` that is the engine's ``HostEnv`` and the
planners' ``PlanContext``; close it (``async with``) to close every connection.
"""

from kubexm.runtime.connect import host_settings, select_hosts, unreachable_error
from kubexm.runtime.context import (
    DEFAULT_CONNECT_CONCURRENCY,
    RunContext,
    build,
    facts_mapping,
    resolved_document,
)
from kubexm.runtime.workdir import WorkDir, work_dir_for

__all__ = [
    "DEFAULT_CONNECT_CONCURRENCY",
    "RunContext",
    "WorkDir",
    "build",
    "facts_mapping",
    "host_settings",
    "resolved_document",
    "select_hosts",
    "unreachable_error",
    "work_dir_for",
]
