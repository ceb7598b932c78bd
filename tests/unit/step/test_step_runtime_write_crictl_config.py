from __future__ import annotations

from fakeconn import FakeConnection
from runtime_stepkit import Ctx

from kubexm.step.runtime.write_crictl_config import WriteCrictlConfig


async def test_writes_the_endpoint_then_changes_nothing() -> None:
    ctx = Ctx(FakeConnection())
    step = WriteCrictlConfig("unix:///run/k/containerd.sock")

    assert await step.check(ctx) is False
    await step.run(ctx)
    text = ctx.conn.text("/etc/crictl.yaml")
    assert "runtime-endpoint: unix:///run/k/containerd.sock" in text
    assert "image-endpoint: unix:///run/k/containerd.sock" in text
    assert await step.check(ctx) is True
