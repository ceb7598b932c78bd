"""CheckSystemPods: read-only; passes when kube-system runs, names the pods that do not."""

from __future__ import annotations

import json

import pytest
from fakeconn import FakeConnection
from stepctx import Ctx

from kubexm.connector.base import Result
from kubexm.errors import StepError
from kubexm.step.cluster.check_system_pods import CheckSystemPods

RUNNING = {"metadata": {"namespace": "kube-system", "name": "a"}, "status": {"phase": "Running"}}
PENDING = {"metadata": {"namespace": "kube-system", "name": "b"}, "status": {"phase": "Pending"}}


def answer(*pods: object) -> Result:
    return Result(0, json.dumps({"items": list(pods)}), "")


async def test_running_pods_pass() -> None:
    fake = FakeConnection("m1")
    fake.script("get pods -n kube-system -o json", answer(RUNNING))
    step = CheckSystemPods()

    assert await step.check(Ctx(fake, host="m1")) is True
    await step.run(Ctx(fake, host="m1"))
    assert CheckSystemPods.resumable is False


async def test_a_pod_that_stays_pending_fails_after_the_wait() -> None:
    fake = FakeConnection("m1")
    fake.script("get pods -n kube-system -o json", answer(RUNNING, PENDING))
    step = CheckSystemPods(wait_seconds=0, interval=0)

    assert await step.check(Ctx(fake, host="m1")) is False
    with pytest.raises(StepError, match="kube-system/b: Pending"):
        await step.run(Ctx(fake, host="m1"))


async def test_a_pod_that_starts_during_the_wait_passes() -> None:
    fake = FakeConnection("m1")
    fake.script("get pods", answer(PENDING), times=1)
    fake.script("get pods", answer(RUNNING))

    await CheckSystemPods(wait_seconds=5, interval=0).run(Ctx(fake, host="m1"))
