from __future__ import annotations

from fakeconn import OK, FakeConnection, FakeSystemd
from runtime_service_kit import golden
from stepctx import Ctx, converge

from kubexm.step.runtime.write_crio_unit import WriteCrioUnit, render_crio_unit


def test_unit_matches_golden_file() -> None:
    golden("crio.service", render_crio_unit(limit_nofile=1048576))


def test_unit_reads_the_drop_in_folder() -> None:
    text = render_crio_unit(limit_nofile=65536, bin_dir="/opt/bin")
    assert "ExecStart=/opt/bin/crio --config-dir=/etc/crio/crio.conf.d" in text.splitlines()
    assert "LimitNOFILE=65536" in text.splitlines()


async def test_step_writes_the_verified_unit_then_changes_nothing() -> None:
    fake = FakeConnection()
    FakeSystemd().install(fake)
    fake.script("systemd-analyze verify", OK)
    step = WriteCrioUnit(render_crio_unit(limit_nofile=1048576))
    await converge(step, Ctx(fake))
    assert fake.text("/etc/systemd/system/crio.service") == step.content
