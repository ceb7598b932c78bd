"""The per-run logger: masks, builds events, and hands them to every sink.

``cmd`` creates one ``RunLogger`` per command and calls ``install()`` so that library code,
which only ever uses ``logging.getLogger(__name__)``, reaches the same console and file.
Steps and engine code get a ``BoundLogger`` from ``bind(host=..., step=...)``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from kubexm.logger.events import KIND_BANNER, KIND_LOG, Event, new_run_id
from kubexm.logger.masking import SecretMasker
from kubexm.logger.sinks import ConsoleSink, JsonlSink, Sink

ROOT_LOGGER = "kubexm"
# Record attributes that callers may set through ``extra=``.
_EXTRA_HOST, _EXTRA_STEP, _EXTRA_FIELDS = "host", "step", "fields"
_TRACE_FORMATTER = logging.Formatter()


def console_level(verbosity: int) -> int:
    """Console threshold for ``-q`` (-1: warnings), default (0: info) and ``-v`` (1+: debug)."""
    if verbosity < 0:
        return logging.WARNING
    return logging.DEBUG if verbosity > 0 else logging.INFO


class RunLogger:
    """Event bus of one run, with its console sink and ``<log_dir>/logs/<run-id>.jsonl``.

    Every message and field passes through ``masker`` before any sink sees it. Without a
    ``log_dir`` no file is written (commands that touch no cluster). Raises ``OSError`` when
    the log file cannot be created. Use as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        log_dir: str | Path | None = None,
        *,
        run_id: str | None = None,
        verbosity: int = 0,
        console: TextIO | None = None,
        color: bool | None = None,
        secrets: Iterable[str | None] = (),
        with_console: bool = True,
    ) -> None:
        self.run_id = run_id or new_run_id()
        self.verbosity = verbosity
        self.masker = SecretMasker(secrets)
        self.log_path: Path | None = None
        self._sinks: list[Sink] = []
        self._lock = threading.Lock()
        self._handler: RunLogHandler | None = None
        self._saved_level = logging.NOTSET
        if with_console:
            level = console_level(verbosity)
            show = verbosity > 0
            self.add_sink(ConsoleSink(console, level=level, color=color, show_fields=show))
        if log_dir is not None:
            self.log_path = Path(log_dir) / "logs" / f"{self.run_id}.jsonl"
            self.add_sink(JsonlSink(self.log_path))

    def __enter__(self) -> RunLogger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def add_sink(self, sink: Sink) -> None:
        """Send every later event to ``sink`` too (a progress view, the state store...)."""
        with self._lock:
            self._sinks = [*self._sinks, sink]

    def remove_sink(self, sink: Sink) -> None:
        """Stop sending events to ``sink``; it is not closed."""
        with self._lock:
            self._sinks = [s for s in self._sinks if s is not sink]

    def add_secret(self, *secrets: str | None) -> None:
        """Mask these values from now on (e.g. a join token just created)."""
        self.masker.add(*secrets)

    def emit(
        self,
        level: int,
        message: str,
        *,
        host: str | None = None,
        step: str | None = None,
        fields: Mapping[str, Any] | None = None,
        kind: str = KIND_LOG,
        time: datetime | None = None,
    ) -> Event:
        """Mask, build and deliver one event to every sink; return it. Sink errors propagate."""
        event = Event(
            time=time or datetime.now(UTC),
            level=level,
            run_id=self.run_id,
            host=host,
            step=step,
            message=self.masker.mask(message),
            fields=self.masker.mask_fields(fields or {}),
            kind=kind,
        )
        for sink in self._sinks:
            sink.emit(event)
        return event

    def bind(self, *, host: str | None = None, step: str | None = None) -> BoundLogger:
        """A logger whose lines carry ``host`` and ``step``."""
        return BoundLogger(self, host=host, step=step)

    def banner(self, title: str) -> Event:
        """Print a step heading, ``==> Title``, at INFO."""
        return self.emit(logging.INFO, title, kind=KIND_BANNER)

    def install(self) -> None:
        """Route the stdlib ``kubexm`` logger tree into this run; calling twice is harmless.

        Only ``cmd`` calls this; library code never configures logging.
        """
        if self._handler is not None:
            return
        root = logging.getLogger(ROOT_LOGGER)
        self._handler = RunLogHandler(self)
        self._saved_level = root.level
        # Let DEBUG records through to the handler; each sink applies its own threshold.
        root.setLevel(logging.DEBUG)
        root.addHandler(self._handler)

    def uninstall(self) -> None:
        """Undo ``install()``: remove the handler and restore the previous level."""
        if self._handler is None:
            return
        root = logging.getLogger(ROOT_LOGGER)
        root.removeHandler(self._handler)
        root.setLevel(self._saved_level)
        self._handler = None

    def close(self) -> None:
        """Uninstall, then close every sink (flushes the console, closes the file)."""
        self.uninstall()
        with self._lock:
            sinks, self._sinks = self._sinks, []
        for sink in sinks:
            sink.close()


class BoundLogger:
    """Logs for one host and/or step: ``log.info("wrote %s", path, mode="0644")`` prints
    ``[node1] etcd: wrote /etc/...``; keyword arguments become event fields.

    There is no ``error()``: only the engine and cmd log at ERROR (STYLE: levels mean one
    thing each), through ``log(level, ...)``.
    """

    def __init__(self, run: RunLogger, *, host: str | None, step: str | None) -> None:
        self.run = run
        self.host = host
        self.step = step

    def bind(self, *, host: str | None = None, step: str | None = None) -> BoundLogger:
        """A logger with ``host``/``step`` replaced where given, kept otherwise."""
        return BoundLogger(self.run, host=host or self.host, step=step or self.step)

    def log(self, level: int, message: str, *args: object, **fields: Any) -> Event:
        """Log at ``level``; ``args`` fill ``%s`` placeholders in ``message``."""
        text = message % args if args else message
        return self.run.emit(level, text, host=self.host, step=self.step, fields=fields)

    def debug(self, message: str, *args: object, **fields: Any) -> Event:
        return self.log(logging.DEBUG, message, *args, **fields)

    def info(self, message: str, *args: object, **fields: Any) -> Event:
        return self.log(logging.INFO, message, *args, **fields)

    def warning(self, message: str, *args: object, **fields: Any) -> Event:
        return self.log(logging.WARNING, message, *args, **fields)

    def banner(self, title: str) -> Event:
        """Print ``==> Title``; banners are run-wide headings, so host and step are dropped."""
        return self.run.banner(title)


class RunLogHandler(logging.Handler):
    """Turns stdlib records into events of a ``RunLogger``.

    ``extra={"host": ..., "step": ..., "fields": {...}}`` on a log call sets those parts of
    the event; the logger name goes to ``fields["logger"]`` and an exception's traceback to
    ``fields["traceback"]`` (file always, console only with ``-v``).
    """

    def __init__(self, run: RunLogger) -> None:
        super().__init__(logging.DEBUG)
        self.run = run

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields = dict(getattr(record, _EXTRA_FIELDS, None) or {})
            fields["logger"] = record.name
            if record.exc_info:
                fields["traceback"] = _TRACE_FORMATTER.formatException(record.exc_info)
            self.run.emit(
                record.levelno,
                record.getMessage(),
                host=getattr(record, _EXTRA_HOST, None),
                step=getattr(record, _EXTRA_STEP, None),
                fields=fields,
                time=datetime.fromtimestamp(record.created, UTC),
            )
        except Exception:  # a broken sink must not break the caller; stdlib reports it
            self.handleError(record)


if TYPE_CHECKING:
    _AdapterBase = logging.LoggerAdapter[logging.Logger]
else:
    _AdapterBase = logging.LoggerAdapter


class ContextAdapter(_AdapterBase):
    """A stdlib adapter that adds ``host``/``step`` to every record, merging other extras."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(self.extra or {}), **(kwargs.get("extra") or {})}
        return msg, kwargs


def with_context(
    logger: logging.Logger, *, host: str | None = None, step: str | None = None
) -> ContextAdapter:
    """Wrap a library logger so its lines read ``[host] step: message`` once installed."""
    return ContextAdapter(logger, {_EXTRA_HOST: host, _EXTRA_STEP: step})
