from __future__ import annotations

import pytest
from runtime_service_kit import applied_host

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.runner.host import Host
from kubexm.step.runtime.applied import crictl_ready_probe, ensure_applied_service, stamp_path

UNITS = ("docker.socket", "docker.service")


@pytest.mark.parametrize(
    ("active", "stamp", "first"),
    [(False, None, "systemctl enable docker.socket"),
     (True, "old", "systemctl stop docker.service")],
    ids=["stopped", "settings-changed"],
)  # fmt: skip
async def test_acts_then_a_second_call_changes_nothing(
    active: bool, stamp: str | None, first: str
) -> None:
    fake, systemd = applied_host(UNITS, active=active, stamp=stamp)
    done = await ensure_applied_service(Host(fake), UNITS, "d1", journal="docker.service")
    assert done.changed
    assert any(c.startswith(first) for c in fake.ran)
    assert all(u.active for u in systemd.units.values())
    assert fake.text(stamp_path("docker.service")) == "d1\n"
    again = await ensure_applied_service(Host(fake), UNITS, "d1", journal="docker.service")
    assert not again.changed


async def test_a_running_service_with_the_same_digest_is_left_alone() -> None:
    fake, _ = applied_host(UNITS, active=True, stamp="d1")
    await ensure_applied_service(Host(fake), UNITS, "d1", journal="docker.service")
    assert not any("stop" in c or "start" in c for c in fake.ran)


async def test_a_failed_start_points_at_the_journal() -> None:
    fake, _ = applied_host(UNITS, active=False, stamp=None)
    fake.script("systemctl enable", Result(1, "", "Job failed"))
    fake.rules.insert(0, fake.rules.pop())
    with pytest.raises(CommandError) as caught:
        await ensure_applied_service(Host(fake), UNITS, "d1", journal="docker.service")
    assert "journalctl -u docker.service" in caught.value.hint


def test_stamp_path_is_named_after_the_service() -> None:
    assert stamp_path("crio.service") == "/var/lib/kubexm/crio.applied"


def test_crictl_probe_asks_for_runtime_ready_only() -> None:
    probe = crictl_ready_probe("/usr/local/bin/crictl", "unix:///run/crio/crio.sock")
    assert "--runtime-endpoint unix:///run/crio/crio.sock info" in probe
    assert '"type":"RuntimeReady","status":true' in probe
    assert "NetworkReady" not in probe
