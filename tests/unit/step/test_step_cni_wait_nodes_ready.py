"""WaitNodesReady: passes when every node is Ready, names the NotReady ones on timeout."""

from __future__ import annotations

import pytest
from cluster_step_helpers import items, node
from fakeconn import FakeConnection
from stepctx import Ctx

from kubexm.connector.base import Result
from kubexm.errors import StepError
from kubexm.step.cni.wait_nodes_ready import WaitNodesReady

GET_NODES = "get nodes -o json"


async def test_waits_until_the_last_node_turns_ready() -> None:
    fake = FakeConnection("m1")
    fake.script(GET_NODES, Result(0, items(node("m1"), node("w1", False)), ""), times=2)
    fake.script(GET_NODES, Result(0, items(node("m1"), node("w1")), ""))
    step = WaitNodesReady(("m1", "w1"), wait_seconds=5, interval=0)

    assert await step.check(Ctx(fake, host="m1")) is False
    await step.run(Ctx(fake, host="m1"))

    assert await step.check(Ctx(fake, host="m1")) is True
    assert sum(GET_NODES in c for c in fake.ran) == 4


async def test_timeout_names_each_node_and_its_condition() -> None:
    fake = FakeConnection("m1")
    answer = items(node("m1", False, "container runtime network not ready: cni not initialized"))
    fake.script(GET_NODES, Result(0, answer, ""))
    step = WaitNodesReady(("m1", "w1"), wait_seconds=0, interval=0)

    with pytest.raises(StepError) as err:
        await step.run(Ctx(fake, host="m1"))

    assert "w1: not registered" in err.value.message
    assert "m1: NotReady (container runtime network not ready" in err.value.message
    assert "kubelet" in err.value.hint
