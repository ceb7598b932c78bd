"""WriteSysctl: file plus live values; refused keys are warnings, not failures."""

from __future__ import annotations

import logging

import pytest
from fakeconn import FakeConnection, FakeKernel
from stepctx import Ctx, converge

from kubexm.runner.kernel import SYSCTL_FILE
from kubexm.step.os.write_sysctl import WriteSysctl


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_write_sysctl_sets_values_and_warns_about_refused_keys(
    caplog: pytest.LogCaptureFixture,
) -> None:
    kernel = FakeKernel(
        sysctl={"net.ipv4.ip_forward": "0", "kernel.pid_max": "32768"},
        read_only={"kernel.pid_max"},
    )
    fake = FakeConnection()
    kernel.install(fake)
    step = WriteSysctl((("kernel.pid_max", "4194304"), ("net.ipv4.ip_forward", "1")))

    with caplog.at_level(logging.WARNING):
        await converge(step, Ctx(fake))
    assert kernel.sysctl == {"net.ipv4.ip_forward": "1", "kernel.pid_max": "32768"}
    assert "kernel.pid_max = 4194304\n" in fake.text(SYSCTL_FILE)
    assert any("refuses sysctl kernel.pid_max" in w for w in warnings_of(caplog))


async def test_write_sysctl_without_refused_keys_has_no_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeConnection()
    FakeKernel(sysctl={"net.ipv4.ip_forward": "0"}).install(fake)

    with caplog.at_level(logging.WARNING):
        await converge(WriteSysctl((("net.ipv4.ip_forward", "1"),)), Ctx(fake))
    assert warnings_of(caplog) == []
