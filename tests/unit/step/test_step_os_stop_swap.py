"""StopSwap: swap off and out of fstab; a container's swap is the machine's (warning)."""

from __future__ import annotations

import logging

import pytest
from fakeconn import OK, FakeConnection
from stepctx import Ctx, converge

from kubexm.connector.base import Result
from kubexm.step.os.stop_swap import StopSwap


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


class SwapHost:
    def __init__(self, fake: FakeConnection, *, container: bool) -> None:
        self.active, self.in_fstab, self.swapoffs = True, True, 0
        fake.script("/proc/swaps", self.probe)
        fake.script("swapoff -a", self.swapoff)
        fake.script("sed -i -E", self.comment)
        fake.script("systemd-detect-virt", Result(0 if container else 1, "", ""))

    def probe(self, cmd: str, fake: FakeConnection) -> Result:
        out = ("active\n" if self.active else "") + ("fstab\n" if self.in_fstab else "")
        return Result(0, out, "")

    def swapoff(self, cmd: str, fake: FakeConnection) -> Result:
        self.active, self.swapoffs = False, self.swapoffs + 1
        return OK

    def comment(self, cmd: str, fake: FakeConnection) -> Result:
        self.in_fstab = False
        return OK


async def test_stop_swap_turns_swap_off_and_edits_fstab_then_changes_nothing() -> None:
    fake = FakeConnection()
    swap = SwapHost(fake, container=False)

    await converge(StopSwap(), Ctx(fake))
    assert (swap.active, swap.in_fstab, swap.swapoffs) == (False, False, 1)


async def test_stop_swap_in_container_only_edits_fstab_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeConnection()
    swap = SwapHost(fake, container=True)

    with caplog.at_level(logging.WARNING):
        await converge(StopSwap(), Ctx(fake))
    assert (swap.active, swap.in_fstab, swap.swapoffs) == (True, False, 0)
    assert any("belongs to the machine" in w for w in warnings_of(caplog))
