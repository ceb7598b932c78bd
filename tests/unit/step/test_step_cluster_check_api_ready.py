"""CheckApiReady: read-only; /readyz through the endpoint with the admin kubeconfig."""

from __future__ import annotations

import pytest
from fakeconn import FakeConnection
from stepctx import Ctx

from kubexm.connector.base import Result
from kubexm.errors import StepError
from kubexm.step.cluster.check_api_ready import CheckApiReady

ENDPOINT = "https://lb.kubexm.local:6443"


async def test_ok_passes_and_goes_through_the_endpoint() -> None:
    fake = FakeConnection("m1")
    fake.script("get --raw /readyz", Result(0, "ok", ""))
    step = CheckApiReady(ENDPOINT)

    assert await step.check(Ctx(fake, host="m1")) is True
    await step.run(Ctx(fake, host="m1"))
    assert f"--server {ENDPOINT}" in fake.ran[0]
    assert "--kubeconfig /etc/kubernetes/admin.conf" in fake.ran[0]
    assert step.describe().endswith(f"({ENDPOINT})")


async def test_a_failure_carries_kubectls_answer() -> None:
    fake = FakeConnection("m1")
    fake.script("get --raw /readyz", Result(1, "", "Unable to connect to the server: timeout"))
    step = CheckApiReady(ENDPOINT)

    assert await step.check(Ctx(fake, host="m1")) is False
    with pytest.raises(StepError, match="Unable to connect"):
        await step.run(Ctx(fake, host="m1"))
