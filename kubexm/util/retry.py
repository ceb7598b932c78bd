"""Retry of async operations with exponential backoff and jitter."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


def backoff_delay(attempt: int, base_delay: float, max_delay: float) -> float:
    """Return the pause after failed ``attempt`` (1-based): base × 2^(attempt-1), capped,
    then scaled by a random factor in [0.5, 1] so parallel retries do not fire together."""
    ceiling = min(max_delay, base_delay * 2.0 ** (attempt - 1))
    return ceiling * random.uniform(0.5, 1.0)  # jitter, not cryptography


async def retry_async(
    fn: Callable[[], Awaitable[T]],
    *,
    attempts: int = 3,
    base_delay: float = 0.5,
    max_delay: float = 10.0,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Await ``fn()`` until it succeeds or ``attempts`` calls have failed.

    Only exceptions in ``retry_on`` are retried; any other propagates at once, as does
    cancellation. After the last failed attempt its exception is re-raised unchanged.
    Raises ``ValueError`` when ``attempts`` is below 1 or a delay is negative.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    if base_delay < 0 or max_delay < 0:
        raise ValueError("retry delays must not be negative")
    for attempt in range(1, attempts):
        try:
            return await fn()
        except retry_on as err:
            delay = backoff_delay(attempt, base_delay, max_delay)
            log.debug("attempt %d/%d failed (%s), retrying in %.2fs", attempt, attempts, err, delay)
        await sleep(delay)
    return await fn()
