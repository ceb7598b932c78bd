"""Where events go: the console, the run's JSON-lines file, or a list (tests, progress)."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any, Protocol, TextIO, runtime_checkable

from rich.console import Console
from rich.text import Text

from kubexm.logger.events import KIND_BANNER, Event

_STYLES = {
    logging.DEBUG: "dim",
    logging.WARNING: "yellow",
    logging.ERROR: "bold red",
    logging.CRITICAL: "bold red",
}
_BANNER_STYLE = "bold cyan"
# Fields that only help when reading the file; on a terminal they are noise.
_FILE_ONLY = frozenset({"logger"})
_LOG_FILE_MODE = 0o600


@runtime_checkable
class Sink(Protocol):
    """Receives every masked event of a run; ``emit`` must not block for long."""

    def emit(self, event: Event) -> None: ...

    def close(self) -> None: ...


def _field_text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if not text or any(ch.isspace() or ch in "\"'=" for ch in text):
        return json.dumps(text)
    return text


def format_console(event: Event, *, show_fields: bool = False) -> str:
    """The console line of an event: ``==> Title`` for a banner, otherwise
    ``[node1] etcd: wrote /etc/etcd/etcd.conf.yml``, with ``warning: ``/``error: `` before
    the message at those levels and ``key=value`` fields appended when ``show_fields``.
    Multi-line fields go on the lines below: that is how ``-v`` shows a traceback."""
    if event.kind == KIND_BANNER:
        return f"==> {event.message}"
    prefix = f"[{event.host}] " if event.host else ""
    prefix += f"{event.step}: " if event.step else ""
    tag = f"{event.level_name}: " if event.level >= logging.WARNING else ""
    line = f"{prefix}{tag}{event.message}"
    if not show_fields:
        return line
    inline = {k: v for k, v in event.fields.items() if not _multiline(v) and k not in _FILE_ONLY}
    blocks = [str(v).rstrip("\n") for v in event.fields.values() if _multiline(v)]
    if inline:
        line += " " + " ".join(f"{key}={_field_text(value)}" for key, value in inline.items())
    return "\n".join([line, *blocks])


def _multiline(value: Any) -> bool:
    return isinstance(value, str) and "\n" in value


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class ConsoleSink:
    """Prints events at or above ``level``: through rich with colours when the stream is a
    terminal (or ``color=True``), as plain lines otherwise. Write errors propagate."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        level: int = logging.INFO,
        color: bool | None = None,
        show_fields: bool = False,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.level = level
        self.show_fields = show_fields
        self.color = _is_tty(self.stream) if color is None else color
        self._console = (
            Console(file=self.stream, force_terminal=True, highlight=False, soft_wrap=True)
            if self.color
            else None
        )
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        if event.level < self.level:
            return
        line = format_console(event, show_fields=self.show_fields)
        with self._lock:
            if self._console is None:
                self.stream.write(line + "\n")
                self.stream.flush()
                return
            style = _BANNER_STYLE if event.kind == KIND_BANNER else _STYLES.get(event.level, "")
            # A Text object is printed literally: "[node1]" must not be read as rich markup.
            self._console.print(Text(line, style=style))

    def close(self) -> None:
        with self._lock:
            self.stream.flush()


class JsonlSink:
    """Appends every event at or above ``level`` as one JSON object per line to ``path``.

    The file is created with mode 0600 (it holds commands and hosts) and each line is flushed
    at once, so a crash still leaves a readable log. Raises ``OSError`` when the file cannot
    be created; write errors propagate.
    """

    def __init__(self, path: str | Path, *, level: int = logging.DEBUG) -> None:
        self.path = Path(path)
        self.level = level
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, _LOG_FILE_MODE)
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        if event.level < self.level:
            return
        line = json.dumps(event.to_record(), default=str, ensure_ascii=False)
        with self._lock:
            if self._file.closed:
                return
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


class ListSink:
    """Keeps events in memory, for tests and for progress views that poll."""

    def __init__(self, *, level: int = logging.DEBUG) -> None:
        self.level = level
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        if event.level >= self.level:
            self.events.append(event)

    def close(self) -> None:
        """Nothing to release; the events stay readable."""

    def messages(self) -> list[str]:
        """The messages received so far, in order."""
        return [event.message for event in self.events]
