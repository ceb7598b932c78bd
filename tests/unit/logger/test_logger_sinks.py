from __future__ import annotations

import io
import json
import logging
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kubexm.logger.events import KIND_BANNER, Event
from kubexm.logger.sinks import ConsoleSink, JsonlSink, ListSink, Sink, format_console

WHEN = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)


def _event(
    message: str = "wrote /etc/etcd/etcd.conf.yml",
    *,
    level: int = logging.INFO,
    host: str | None = "node1",
    step: str | None = "etcd",
    fields: dict[str, Any] | None = None,
    kind: str = "log",
) -> Event:
    return Event(WHEN, level, "run1", host, step, message, fields or {}, kind)


@pytest.mark.parametrize(
    ("event", "line"),
    [
        pytest.param(_event(), "[node1] etcd: wrote /etc/etcd/etcd.conf.yml", id="host-step"),
        pytest.param(_event("m", step=None), "[node1] m", id="host-only"),
        pytest.param(_event("m", host=None), "etcd: m", id="step-only"),
        pytest.param(_event("m", host=None, step=None), "m", id="bare"),
        pytest.param(_event("low", level=logging.WARNING), "[node1] etcd: warning: low", id="warn"),
        pytest.param(_event("Install etcd", kind=KIND_BANNER), "==> Install etcd", id="banner"),
    ],
)
def test_format_console_line_shapes(event: Event, line: str) -> None:
    assert format_console(event) == line


def test_format_console_shows_fields_only_when_asked() -> None:
    event = _event("ran", fields={"rc": 0, "cmd": "ls -l", "logger": "kubexm.x", "tb": "a\nb"})
    assert format_console(event) == "[node1] etcd: ran"
    assert format_console(event, show_fields=True) == ('[node1] etcd: ran rc=0 cmd="ls -l"\na\nb')


def test_console_sink_plain_filters_by_level() -> None:
    stream = io.StringIO()
    sink = ConsoleSink(stream, level=logging.INFO)
    sink.emit(_event("hidden", level=logging.DEBUG))
    sink.emit(_event("shown"))
    sink.close()
    assert stream.getvalue() == "[node1] etcd: shown\n"
    assert sink.color is False


def test_console_sink_color_prints_brackets_literally() -> None:
    stream = io.StringIO()
    sink = ConsoleSink(stream, color=True)
    sink.emit(_event("value [bold]x[/bold]", level=logging.WARNING))
    output = stream.getvalue()
    assert "\x1b[" in output
    assert "[node1] etcd: warning: value [bold]x[/bold]" in output


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_console_sink_uses_colour_on_a_terminal() -> None:
    assert ConsoleSink(FakeTTY()).color is True


def test_jsonl_sink_writes_one_object_per_line(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "run1.jsonl"
    sink = JsonlSink(path)
    sink.emit(_event("first", fields={"when": WHEN}))
    sink.emit(_event("second", level=logging.DEBUG))
    sink.close()
    sink.emit(_event("after close is dropped"))
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["message"] for r in records] == ["first", "second"]
    assert records[0]["fields"] == {"when": str(WHEN)}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_jsonl_sink_level_threshold(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    sink = JsonlSink(path, level=logging.INFO)
    sink.emit(_event("debug", level=logging.DEBUG))
    sink.close()
    assert path.read_text(encoding="utf-8") == ""


def test_list_sink_collects_and_satisfies_protocol() -> None:
    sink = ListSink(level=logging.INFO)
    sink.emit(_event("a"))
    sink.emit(_event("b", level=logging.DEBUG))
    sink.close()
    assert sink.messages() == ["a"]
    assert isinstance(sink, Sink)
