"""Structured run logging: events, console and JSON-lines sinks, secret masking.

``cmd`` builds one ``RunLogger`` per command and installs it; library code logs through
``logging.getLogger(__name__)`` and never configures logging. Every message and field is
masked by the run's ``SecretMasker`` before a sink sees it.
"""

from kubexm.logger.events import Event, level_name, new_run_id
from kubexm.logger.masking import SecretMasker
from kubexm.logger.run import (
    BoundLogger,
    ContextAdapter,
    RunLogger,
    RunLogHandler,
    console_level,
    with_context,
)
from kubexm.logger.sinks import ConsoleSink, JsonlSink, ListSink, Sink, format_console

__all__ = [
    "BoundLogger",
    "ConsoleSink",
    "ContextAdapter",
    "Event",
    "JsonlSink",
    "ListSink",
    "RunLogHandler",
    "RunLogger",
    "SecretMasker",
    "Sink",
    "console_level",
    "format_console",
    "level_name",
    "new_run_id",
    "with_context",
]
