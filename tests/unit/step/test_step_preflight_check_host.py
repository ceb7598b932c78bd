"""CheckHost: check passes or fails per the rule, run raises the fix, nothing is written."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fakeconn import FakeConnection

from kubexm.cache import Scope, ScopedCache
from kubexm.connector.base import Result
from kubexm.engine import NodeContext
from kubexm.errors import StepError
from kubexm.step.base import STEPS
from kubexm.step.preflight import WARNINGS_KEY, CheckHost, Requirements

REQ = Requirements(
    roles=("worker",),
    arch="amd64",
    min_cpus=2,
    min_memory_mib=2048,
    min_var_lib_mib=5120,
    ports=(10250,),
    modules=("overlay",),
    kubernetes_version="1.36.4",
)
FACTS = {"cpus": 4, "memory_mib": 8000, "swap_active": False, "hostname": "n1"}
PROBE = "@@modules\noverlay loaded\n@@ports\n"


def _ctx(fake: FakeConnection, facts: dict[str, object] | None = None) -> NodeContext:
    return NodeContext(
        "n1",
        fake,
        {**FACTS, **(facts or {})},
        ScopedCache(Scope.TASK),
        CheckHost.name,
        dry_run=False,
    )


def _fake(probe: str = PROBE) -> FakeConnection:
    fake = FakeConnection("n1")
    fake.script("@@fstab", Result(0, probe, ""))
    return fake


def test_check_host_is_registered_with_a_path_style_name() -> None:
    assert STEPS.get("preflight/check-host") is CheckHost
    assert CheckHost("cpu", REQ).describe() == "check cpu"


async def test_passing_check_changes_nothing_on_a_second_run() -> None:
    fake = _fake()
    step = CheckHost("cpu", REQ)
    before = fake.snapshot()
    ctx = _ctx(fake)
    assert await step.check(ctx) is True
    assert await step.check(ctx) is True
    assert fake.snapshot() == before and fake.puts == []


async def test_failing_check_raises_the_message_and_fix_from_run() -> None:
    fake = _fake()
    step = CheckHost("cpu", replace(REQ, min_cpus=8))
    ctx = _ctx(fake)
    assert await step.check(ctx) is False
    with pytest.raises(StepError) as caught:
        await step.run(ctx)
    assert "4 CPUs" in caught.value.message
    assert "minCPUCores" in caught.value.hint
    assert fake.puts == []


async def test_warning_passes_and_is_kept_in_the_host_cache() -> None:
    fake = _fake("@@fstab\nswap\n@@modules\noverlay loaded\n")
    ctx = _ctx(fake)
    step = CheckHost("swap", REQ)
    assert await step.check(ctx) is True
    warnings = ctx.cache.get(WARNINGS_KEY)
    assert warnings["swap"].level == "warning"
    assert "after a reboot" in warnings["swap"].message
    await step.run(ctx)  # a warning never fails the node


async def test_checks_on_one_host_share_one_probe() -> None:
    fake = _fake()
    ctx = _ctx(fake)
    for item in ("ports", "modules", "disk"):
        assert await CheckHost(item, REQ).check(ctx) is True
    assert len(fake.ran) == 1


def test_fingerprint_changes_with_the_requirements() -> None:
    assert (
        CheckHost("cpu", REQ).fingerprint()
        != CheckHost("cpu", replace(REQ, min_cpus=3)).fingerprint()
    )
