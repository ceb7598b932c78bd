from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import pytest

from kubexm.logger.events import KIND_BANNER, Event, level_name, new_run_id

WHEN = datetime(2026, 12, 3, 17, 5, 12, 345000, tzinfo=UTC)


def test_event_to_record_is_json_ready() -> None:
    event = Event(WHEN, logging.INFO, "run1", "node1", "etcd", "wrote x", {"mode": "0644"})
    assert event.to_record() == {
        "time": "2026-12-03T17:05:12.345+00:00",
        "level": "info",
        "run_id": "run1",
        "kind": "log",
        "host": "node1",
        "step": "etcd",
        "message": "wrote x",
        "fields": {"mode": "0644"},
    }


def test_event_fields_cannot_be_changed_by_a_sink() -> None:
    source = {"a": 1}
    event = Event(WHEN, logging.INFO, "run1", None, None, "m", source)
    source["a"] = 2
    assert event.fields["a"] == 1
    with pytest.raises(TypeError):
        event.fields["b"] = 3  # type: ignore[index]  # proves the runtime refusal


def test_event_banner_kind_and_level_name() -> None:
    event = Event(WHEN, logging.WARNING, "r", None, None, "Title", kind=KIND_BANNER)
    assert event.kind == "banner"
    assert event.level_name == "warning"


@pytest.mark.parametrize(
    ("level", "name"),
    [
        pytest.param(logging.DEBUG, "debug", id="debug"),
        pytest.param(logging.ERROR, "error", id="error"),
        pytest.param(25, "level 25", id="custom"),
    ],
)
def test_level_name(level: int, name: str) -> None:
    assert level_name(level) == name


def test_new_run_id_is_sortable_and_unique() -> None:
    first, second = new_run_id(WHEN), new_run_id(WHEN)
    assert re.fullmatch(r"20261203T170512Z-[0-9a-f]{6}", first)
    assert first != second
    assert new_run_id(datetime(2027, 1, 1, tzinfo=UTC)) > first
