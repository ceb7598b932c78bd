from __future__ import annotations

import pytest
from fakeconn import FAIL, OK, FakeConnection
from runtime_stepkit import Ctx

from kubexm.errors import CommandError
from kubexm.step.runtime.wait_containerd_ready import WaitContainerdReady


async def test_check_is_done_when_ctr_answers() -> None:
    fake = FakeConnection()
    fake.script("version >/dev/null", OK)
    assert await WaitContainerdReady().check(Ctx(fake)) is True


async def test_run_polls_until_ctr_answers() -> None:
    fake = FakeConnection()
    fake.script("version >/dev/null", FAIL)
    step = WaitContainerdReady(wait_seconds=5)
    assert await step.check(Ctx(fake)) is False
    fake.rules.clear()
    fake.script("end=$((", OK)
    await step.run(Ctx(fake))
    assert "/usr/local/bin/ctr --address /run/containerd/containerd.sock version" in fake.ran[-1]


async def test_run_fails_with_a_journalctl_hint_when_it_never_answers() -> None:
    fake = FakeConnection()
    fake.script("end=$((", FAIL)
    with pytest.raises(CommandError) as caught:
        await WaitContainerdReady(wait_seconds=1).run(Ctx(fake))
    assert "journalctl" in caught.value.hint
