from __future__ import annotations

import pytest
from fakeconn import FAIL, OK, FakeConnection
from stepctx import Ctx

from kubexm.errors import CommandError
from kubexm.step.runtime.wait_docker_ready import WaitDockerReady


async def test_check_is_done_when_it_answers_now() -> None:
    fake = FakeConnection()
    fake.script("info >/dev/null", OK)
    assert await WaitDockerReady().check(Ctx(fake)) is True


async def test_run_polls_until_it_answers() -> None:
    fake = FakeConnection()
    fake.script("info >/dev/null", FAIL)
    step = WaitDockerReady(wait_seconds=5)
    assert await step.check(Ctx(fake)) is False
    fake.rules.clear()
    fake.script("end=$((", OK)
    await step.run(Ctx(fake))
    assert "/usr/local/bin/docker -H unix:///run/docker.sock info" in fake.ran[-1]


async def test_run_fails_with_a_journalctl_hint_when_it_never_answers() -> None:
    fake = FakeConnection()
    fake.script("end=$((", FAIL)
    with pytest.raises(CommandError) as caught:
        await WaitDockerReady(wait_seconds=1).run(Ctx(fake))
    assert "journalctl -u docker.service" in caught.value.hint
