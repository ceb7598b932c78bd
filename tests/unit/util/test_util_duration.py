from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubexm.util.duration import format_duration, parse_duration


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        pytest.param("30s", 30.0, id="seconds"),
        pytest.param("5m", 300.0, id="minutes"),
        pytest.param("1h30m", 5400.0, id="hours-minutes"),
        pytest.param("250ms", 0.25, id="millis"),
        pytest.param("2d", 172800.0, id="days"),
        pytest.param("1.5h", 5400.0, id="fraction"),
        pytest.param(" 10S ", 10.0, id="case-and-space"),
        pytest.param("90", 90.0, id="numeric-text"),
        pytest.param(45, 45.0, id="int"),
        pytest.param(0.5, 0.5, id="float"),
    ],
)
def test_parse_duration_reads_forms(value: str | int | float, seconds: float) -> None:
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("", "invalid duration", id="empty"),
        pytest.param("5x", "invalid duration", id="unit"),
        pytest.param("1h 30m", "invalid duration", id="space-inside"),
        pytest.param("h", "invalid duration", id="unit-only"),
        pytest.param("-1s", "negative", id="negative-text"),
        pytest.param(-3, "negative", id="negative-number"),
        pytest.param(float("nan"), "not a finite", id="nan"),
    ],
)
def test_parse_duration_rejects_bad_input(value: str | float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "name"),
    [pytest.param(True, "bool", id="bool"), pytest.param(None, "NoneType", id="none")],
)
def test_parse_duration_rejects_other_types(value: object, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        parse_duration(value)  # type: ignore[arg-type]  # proves the runtime check


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(0, "0s", id="zero"),
        pytest.param(0.25, "250ms", id="millis"),
        pytest.param(30, "30s", id="seconds"),
        pytest.param(90, "1m30s", id="minutes"),
        pytest.param(5400, "1h30m", id="hours"),
        pytest.param(90061.5, "1d1h1m1.5s", id="all-units"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_duration_rejects_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_duration(-1)


@given(millis=st.integers(min_value=0, max_value=10**10))
def test_format_then_parse_round_trips_to_the_millisecond(millis: int) -> None:
    seconds = millis / 1000
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds, abs=1e-6)
