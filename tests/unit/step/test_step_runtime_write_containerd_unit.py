from __future__ import annotations

from pathlib import Path

import pytest
from fakeconn import OK, FakeConnection, FakeSystemd
from runtime_stepkit import Ctx

from kubexm.step.runtime.write_containerd_unit import WriteContainerdUnit, render_containerd_unit

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "runtime"


@pytest.mark.parametrize(
    ("config_path", "golden"),
    [("/etc/containerd/config.toml", "containerd.service"),
     ("/srv/containerd.toml", "containerd-custom-config.service")],
    ids=["default-config", "custom-config"],
)  # fmt: skip
def test_unit_matches_golden_file(config_path: str, golden: str) -> None:
    text = render_containerd_unit(config_path=config_path, limit_nofile=1048576)
    assert text == (GOLDEN / golden).read_text()


def test_unit_has_the_settings_kubernetes_needs() -> None:
    text = render_containerd_unit(limit_nofile=65536)
    for line in ("Delegate=yes", "KillMode=process", "LimitNOFILE=65536", "OOMScoreAdjust=-999"):
        assert line in text.splitlines()


async def test_step_writes_the_verified_unit_then_changes_nothing() -> None:
    fake = FakeConnection()
    FakeSystemd().install(fake)
    fake.script("systemd-analyze verify", OK)
    ctx = Ctx(fake)
    step = WriteContainerdUnit(render_containerd_unit(limit_nofile=1048576))

    assert await step.check(ctx) is False
    await step.run(ctx)
    assert fake.text("/etc/systemd/system/containerd.service") == step.content
    assert await step.check(ctx) is True
