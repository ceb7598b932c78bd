"""The OS steps' shared base: warnings are logged, capabilities and containers probed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar

import pytest
from fakeconn import FakeConnection
from stepctx import Ctx

from kubexm.connector.base import Result
from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult
from kubexm.step.os.base import (
    CAP_SYS_MODULE,
    CAP_SYS_TIME,
    WarningEnsureStep,
    has_capability,
    in_container,
    parse_capabilities,
)


@dataclass(frozen=True)
class WriteNote(WarningEnsureStep):
    name: ClassVar[str] = "test/write-note"
    title: ClassVar[str] = "Write note"

    async def ensure_noting(self, host: Host) -> tuple[OpResult, list[str]]:
        return await ensure_file(host, "/etc/note", "x\n"), ["cannot do y here"]


async def test_warning_step_logs_warnings_on_run_and_check_stays_a_dry_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctx = Ctx(FakeConnection())
    step = WriteNote()

    assert await step.check(ctx) is False
    assert not ctx.conn.exists("/etc/note")
    with caplog.at_level(logging.INFO, logger="test.os"):
        await step.run(ctx)
    assert ctx.conn.text("/etc/note") == "x\n"
    assert ("WARNING", "cannot do y here") in [
        (r.levelname, r.getMessage()) for r in caplog.records
    ]
    assert await step.check(ctx) is True


@pytest.mark.parametrize(
    ("text", "mask"),
    [("000001ffffffffff\n", 0x1FFFFFFFFFF), ("", 0), ("garbage", 0)],
    ids=["full-root", "empty", "unreadable"],
)
def test_parse_capabilities_reads_hex_mask(text: str, mask: int) -> None:
    assert parse_capabilities(text) == mask


@pytest.mark.parametrize(
    ("mask", "bit", "expected"),
    [
        (1 << CAP_SYS_TIME, CAP_SYS_TIME, True),
        (1 << CAP_SYS_TIME, CAP_SYS_MODULE, False),
        (0, CAP_SYS_TIME, False),
    ],
    ids=["has-time", "lacks-module", "none"],
)
async def test_has_capability_tests_one_bit(mask: int, bit: int, expected: bool) -> None:
    fake = FakeConnection()
    fake.script("CapEff", Result(0, f"{mask:016x}\n", ""))
    assert await has_capability(Host(fake), bit) is expected


@pytest.mark.parametrize(("status", "expected"), [(0, True), (1, False)], ids=["yes", "no"])
async def test_in_container_asks_systemd_detect_virt(status: int, expected: bool) -> None:
    fake = FakeConnection()
    fake.script("systemd-detect-virt --container", Result(status, "", ""))
    assert await in_container(Host(fake)) is expected
