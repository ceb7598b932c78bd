"""WriteChronyConfig: config, enabled and running; no CAP_SYS_TIME is a warning."""

from __future__ import annotations

import logging

import pytest
from fakeconn import FakeConnection, FakeSystemd, Unit
from stepctx import Ctx, converge

from kubexm.connector.base import Result
from kubexm.step.os.base import CAP_SYS_TIME
from kubexm.step.os.write_chrony_config import WriteChronyConfig


def _fake(caps: int, unit: Unit) -> tuple[FakeConnection, FakeSystemd]:
    fake = FakeConnection()
    fake.dirs["/etc/chrony"] = (0o755, "root", "root")
    fake.script("CapEff", Result(0, f"{caps:016x}\n", ""))
    return fake, FakeSystemd({"chrony.service": unit}).install(fake)


async def test_write_chrony_config_serves_allowed_hosts_and_runs_then_changes_nothing() -> None:
    fake, systemd = _fake(1 << CAP_SYS_TIME, Unit())
    step = WriteChronyConfig((), "debian", allow=("10.0.0.2",), serve=True)

    await converge(step, Ctx(fake))
    text = fake.text("/etc/chrony/chrony.conf")
    assert "allow 10.0.0.2\n" in text and "local stratum 10\n" in text
    assert systemd.units["chrony.service"] == Unit(active=True, enabled="enabled")


async def test_write_chrony_config_restarts_running_service_when_config_changes() -> None:
    fake, _ = _fake(1 << CAP_SYS_TIME, Unit(active=True, enabled="enabled"))
    await WriteChronyConfig(("ntp.example",), "debian").run(Ctx(fake))
    assert "systemctl restart chrony.service" in fake.ran


async def test_write_chrony_config_without_cap_sys_time_enables_only_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake, systemd = _fake(0, Unit())

    with caplog.at_level(logging.WARNING):
        await converge(WriteChronyConfig(("10.0.0.1",), "debian"), Ctx(fake))
    assert systemd.units["chrony.service"] == Unit(active=False, enabled="enabled")
    assert any("CAP_SYS_TIME" in r.getMessage() for r in caplog.records)


async def test_write_chrony_config_without_chrony_installed_changes_nothing_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeConnection()
    FakeSystemd({}).install(fake)
    step = WriteChronyConfig(("10.0.0.1",), "debian")

    assert await step.check(Ctx(fake)) is True
    with caplog.at_level(logging.WARNING):
        await step.run(Ctx(fake))
    assert not fake.exists("/etc/chrony/chrony.conf")
    assert any("chrony is not installed" in r.getMessage() for r in caplog.records)
