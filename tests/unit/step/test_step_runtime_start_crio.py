from __future__ import annotations

import pytest
from runtime_service_kit import applied_host
from stepctx import Ctx, converge

from kubexm.step.runtime.applied import stamp_path
from kubexm.step.runtime.start_crio import StartCrio

UNITS = ("crio.service",)


@pytest.mark.parametrize(
    ("active", "stamp"), [(False, None), (True, "old")], ids=["stopped", "changed"]
)
async def test_start_converges_and_records_the_digest(active: bool, stamp: str | None) -> None:
    fake, systemd = applied_host(UNITS, active=active, stamp=stamp)
    await converge(StartCrio("d1"), Ctx(fake))
    assert all(u.active and u.enabled == "enabled" for u in systemd.units.values())
    assert fake.text(stamp_path(UNITS[-1])) == "d1\n"


async def test_an_unchanged_digest_restarts_nothing() -> None:
    fake, _ = applied_host(UNITS, active=True, stamp="d1")
    assert await StartCrio("d1").check(Ctx(fake)) is True
    await StartCrio("d1").run(Ctx(fake))
    assert not any(c.startswith(("systemctl stop", "systemctl start")) for c in fake.ran)
