from __future__ import annotations

from typing import Any

import pytest

from kubexm.util.retry import backoff_delay, retry_async


class Flaky:
    """Fails ``failures`` times with ``error``, then returns ``"done"``."""

    def __init__(self, failures: int, error: BaseException) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "done"


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


async def test_retry_async_returns_after_transient_failures() -> None:
    fn, sleep = Flaky(2, OSError("reset")), RecordingSleep()
    result = await retry_async(fn, attempts=3, base_delay=1, max_delay=10, sleep=sleep)
    assert result == "done"
    assert fn.calls == 3
    assert len(sleep.delays) == 2
    assert 0.5 <= sleep.delays[0] <= 1
    assert 1 <= sleep.delays[1] <= 2


async def test_retry_async_reraises_last_error_after_all_attempts() -> None:
    error = OSError("still down")
    fn, sleep = Flaky(5, error), RecordingSleep()
    with pytest.raises(OSError) as info:
        await retry_async(fn, attempts=3, base_delay=0, max_delay=0, sleep=sleep)
    assert info.value is error
    assert fn.calls == 3


async def test_retry_async_does_not_retry_other_errors() -> None:
    fn, sleep = Flaky(1, KeyError("x")), RecordingSleep()
    with pytest.raises(KeyError):
        await retry_async(fn, attempts=5, base_delay=0, retry_on=(OSError,), sleep=sleep)
    assert fn.calls == 1
    assert sleep.delays == []


async def test_retry_async_uses_real_sleep_by_default() -> None:
    fn = Flaky(1, OSError("once"))
    assert await retry_async(fn, attempts=2, base_delay=0.001, max_delay=0.001) == "done"


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"attempts": 0}, id="no-attempts"),
        pytest.param({"base_delay": -1.0}, id="negative-delay"),
    ],
)
async def test_retry_async_rejects_bad_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        await retry_async(Flaky(0, OSError()), **kwargs)


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [
        pytest.param(1, 0.5, 1.0, id="first"),
        pytest.param(3, 2.0, 4.0, id="doubles"),
        pytest.param(10, 2.5, 5.0, id="capped"),
    ],
)
def test_backoff_delay_grows_and_caps(attempt: int, low: float, high: float) -> None:
    for _ in range(20):
        assert low <= backoff_delay(attempt, base_delay=1.0, max_delay=5.0) <= high
