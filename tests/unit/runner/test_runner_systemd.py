from __future__ import annotations

import pytest
from fakeconn import FAIL, OK, FakeConnection, FakeSystemd, Unit, assert_idempotent

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.runner.host import Host
from kubexm.runner.systemd import (
    ServiceState,
    daemon_reload,
    ensure_service,
    ensure_unit,
    ensure_unit_absent,
    get_service_state,
    is_service_active,
    reload_service,
    restart_service,
    wait_service_active,
)

UNIT = "[Unit]\nDescription=etcd\n[Service]\nExecStart=/usr/local/bin/etcd\n"


@pytest.fixture
def systemd(fake: FakeConnection) -> FakeSystemd:
    return FakeSystemd({"etcd.service": Unit()}).install(fake)


@pytest.mark.parametrize(
    ("state", "exists", "running", "enabled"),
    [
        (ServiceState("active", "enabled"), True, True, True),
        (ServiceState("inactive", "disabled"), True, False, False),
        (ServiceState("inactive", "static"), True, False, True),
        (ServiceState("inactive", ""), False, False, False),
        (ServiceState("inactive", "not-found"), False, False, False),
        (ServiceState("activating", "enabled-runtime"), True, True, True),
    ],
    ids=["active-enabled", "disabled", "static", "missing-old", "missing-new", "activating"],
)
def test_service_state_properties(
    state: ServiceState, exists: bool, running: bool, enabled: bool
) -> None:
    assert (state.exists, state.running, state.is_enabled) == (exists, running, enabled)


async def test_get_service_state_reads_both_in_one_command(
    host: Host, fake: FakeConnection, systemd: FakeSystemd
) -> None:
    systemd.units["etcd.service"] = Unit(active=True, enabled="enabled")
    assert await get_service_state(host, "etcd") == ServiceState("active", "enabled")
    assert len(fake.ran) == 1
    assert await is_service_active(host, "etcd")


async def test_ensure_service_starts_and_enables_then_is_unchanged(
    fake: FakeConnection, systemd: FakeSystemd
) -> None:
    lines = await assert_idempotent(
        fake, lambda h: ensure_service(h, "etcd"), state=lambda: systemd.units
    )
    assert lines == ["[node1] would enable and start etcd"]
    assert systemd.units["etcd.service"] == Unit(active=True, enabled="enabled")


async def test_ensure_service_stops_and_disables(
    fake: FakeConnection, systemd: FakeSystemd
) -> None:
    systemd.units["etcd.service"] = Unit(active=True, enabled="enabled")
    await assert_idempotent(
        fake,
        lambda h: ensure_service(h, "etcd", running=False, enabled=False),
        state=lambda: systemd.units,
    )
    assert systemd.units["etcd.service"] == Unit(active=False, enabled="disabled")


async def test_ensure_service_enabled_but_not_started(
    host: Host, fake: FakeConnection, systemd: FakeSystemd
) -> None:
    # kubelet before kubeadm init: enabled, not running.
    result = await ensure_service(host, "etcd", running=False, enabled=True)
    assert result.detail == "enable etcd"
    assert systemd.units["etcd.service"] == Unit(active=False, enabled="enabled")


async def test_ensure_service_stopped_on_missing_unit_is_unchanged(
    host: Host, systemd: FakeSystemd
) -> None:
    assert not (await ensure_service(host, "nothing", running=False, enabled=False)).changed


async def test_ensure_service_failure_carries_journalctl_hint(
    host: Host, systemd: FakeSystemd
) -> None:
    with pytest.raises(CommandError) as info:
        await ensure_service(host, "nothing")
    assert "journalctl -u nothing.service" in info.value.hint


async def test_ensure_unit_verifies_writes_and_reloads_once(
    fake: FakeConnection, systemd: FakeSystemd
) -> None:
    fake.script("systemd-analyze verify", OK)
    lines = await assert_idempotent(
        fake, lambda h: ensure_unit(h, "etcd.service", UNIT), state=lambda: systemd.reloads
    )
    assert lines == [
        "[node1] would write /etc/systemd/system/etcd.service",
        "[node1] would reload systemd units",
    ]
    assert fake.text("/etc/systemd/system/etcd.service") == UNIT
    assert systemd.reloads == 1
    verify = [c for c in fake.ran if "systemd-analyze" in c]
    assert len(verify) == 1 and "/run/kubexm/verify/" in verify[0]


async def test_ensure_unit_that_fails_verification_is_not_installed(
    host: Host, fake: FakeConnection, systemd: FakeSystemd
) -> None:
    fake.script("systemd-analyze verify", Result(1, "", "etcd.service: bad setting\n"))
    with pytest.raises(CommandError, match="bad setting"):
        await ensure_unit(host, "etcd.service", UNIT)
    assert "/etc/systemd/system/etcd.service" not in fake.files
    assert systemd.reloads == 0


async def test_ensure_unit_drop_in_is_not_verified_alone(
    host: Host, fake: FakeConnection, systemd: FakeSystemd
) -> None:
    result = await ensure_unit(host, "containerd.service.d/10-kubexm.conf", "[Service]\n")
    assert result.changed
    assert not any("systemd-analyze" in c for c in fake.ran)
    assert "/etc/systemd/system/containerd.service.d/10-kubexm.conf" in fake.files


async def test_ensure_unit_absent_stops_removes_and_reloads(
    fake: FakeConnection, systemd: FakeSystemd
) -> None:
    fake.write("/etc/systemd/system/etcd.service", UNIT)
    systemd.units["etcd.service"] = Unit(active=True, enabled="enabled")
    await assert_idempotent(
        fake, lambda h: ensure_unit_absent(h, "etcd.service"), state=lambda: systemd.units
    )
    assert "/etc/systemd/system/etcd.service" not in fake.files
    assert systemd.units["etcd.service"] == Unit(active=False, enabled="disabled")


async def test_restart_reload_and_daemon_reload_always_change(
    host: Host, systemd: FakeSystemd
) -> None:
    assert (await restart_service(host, "etcd")).detail == "restart etcd"
    assert (await reload_service(host, "etcd")).detail == "reload etcd"
    assert (await daemon_reload(host)).changed
    assert systemd.units["etcd.service"].active
    assert systemd.reloads == 1


async def test_wait_service_active_polls_on_host(host: Host, fake: FakeConnection) -> None:
    fake.script("systemctl is-active --quiet etcd.service && exit 0", OK)
    await wait_service_active(host, "etcd", timeout=10)
    assert "end=$(( $(date +%s) + 10 ))" in fake.ran[0]


async def test_wait_service_active_times_out_with_hint(host: Host, fake: FakeConnection) -> None:
    fake.script("systemctl is-active --quiet etcd.service && exit 0", FAIL)
    with pytest.raises(CommandError) as info:
        await wait_service_active(host, "etcd", timeout=10)
    assert "journalctl" in info.value.hint
