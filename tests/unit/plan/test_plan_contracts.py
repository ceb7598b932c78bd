"""Retry policy and the runtime-checkable protocols."""

from __future__ import annotations

import pytest
from plan_fakes import Fake

from kubexm.connector.simulated import SimulatedConnection
from kubexm.engine import StaticEnv, node_context
from kubexm.errors import CommandTimeout, ConnectError, StepError
from kubexm.plan import Barrier, Executable, RetryPolicy, Rollbackable


@pytest.mark.parametrize(
    ("error", "attempt", "expected"),
    [
        (ConnectError("n1", "refused"), 1, True),
        (CommandTimeout("n1", "x", 1.0), 2, True),
        (ConnectError("n1", "refused"), 3, False),
        (StepError("bad"), 1, False),
    ],
    ids=["connect-retries", "timeout-retries", "out-of-attempts", "step-error-does-not"],
)
def test_retry_policy_decides_by_error_type_and_attempts(
    error: Exception, attempt: int, expected: bool
) -> None:
    assert RetryPolicy(attempts=3).should_retry(error, attempt) is expected


def test_retry_delay_backs_off_and_caps() -> None:
    policy = RetryPolicy(attempts=5, backoff=1.0, factor=2.0, max_delay=3.0)
    assert [policy.delay(n) for n in (1, 2, 3)] == [1.0, 2.0, 3.0]


def test_protocols_are_checked_at_runtime() -> None:
    assert isinstance(Fake("a/b"), Executable)
    assert not isinstance(Fake("a/b"), Rollbackable)
    assert isinstance(Barrier("x/barrier"), Executable)


async def test_barrier_is_always_done() -> None:
    barrier = Barrier("x/barrier")
    assert barrier.describe() == barrier.title
    assert barrier.fingerprint() == "barrier"
    ctx = node_context(StaticEnv({"n1": SimulatedConnection("n1")}), "n1", "x", dry_run=False)
    assert await barrier.check(ctx)
    await barrier.run(ctx)
