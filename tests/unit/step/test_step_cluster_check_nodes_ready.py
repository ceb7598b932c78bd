"""CheckNodesReady: read-only; passes for Ready nodes, names the others."""

from __future__ import annotations

import pytest
from cluster_step_helpers import items, node
from fakeconn import FakeConnection
from stepctx import Ctx

from kubexm.connector.base import Result
from kubexm.errors import StepError
from kubexm.step.cluster.check_nodes_ready import CheckNodesReady


async def test_ready_nodes_pass_and_the_check_is_never_resumed() -> None:
    fake = FakeConnection("m1")
    fake.script("get nodes -o json", Result(0, items(node("m1"), node("w1")), ""))
    step = CheckNodesReady(("m1", "w1"))

    assert await step.check(Ctx(fake, host="m1")) is True
    await step.run(Ctx(fake, host="m1"))
    assert CheckNodesReady.resumable is False


async def test_a_not_ready_node_fails_with_its_message() -> None:
    fake = FakeConnection("m1")
    fake.script("get nodes -o json", Result(0, items(node("m1"), node("w1", False, "no cni")), ""))
    step = CheckNodesReady(("m1", "w1"), wait_seconds=0, interval=0)

    assert await step.check(Ctx(fake, host="m1")) is False
    with pytest.raises(StepError, match=r"w1: NotReady \(no cni\)"):
        await step.run(Ctx(fake, host="m1"))
