from __future__ import annotations

import pytest
from fakeconn import OK, FakeConnection, FakeSystemd
from runtime_service_kit import golden
from stepctx import Ctx, converge

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.runner.host import Host
from kubexm.step.runtime.write_docker_units import (
    WriteDockerUnits,
    ensure_socket_group,
    ensure_units,
    render_docker_units,
)


def _units() -> tuple[str, str]:
    return render_docker_units(socket_path="/run/docker.sock", limit_nofile=1048576)


def _fake(verify: Result = OK) -> FakeConnection:
    fake = FakeConnection()
    FakeSystemd().install(fake)
    fake.script("systemd-analyze verify", verify)
    groups: set[str] = set()

    def groupadd(cmd: str, f: FakeConnection) -> Result:
        groups.add(cmd.split()[-1])
        return OK

    fake.script("getent group docker", lambda c, f: OK if "docker" in groups else Result(2, "", ""))
    fake.script("groupadd --system docker", groupadd)
    return fake


def test_units_match_golden_files() -> None:
    service, socket = _units()
    golden("docker.service", service)
    golden("docker.socket", socket)


def test_service_takes_its_socket_from_systemd_and_spares_containers() -> None:
    service, socket = _units()
    lines = service.splitlines()
    assert any(" -H fd:// --containerd=/run/containerd/containerd.sock" in x for x in lines)
    assert {"Delegate=yes", "KillMode=process", "Requires=docker.socket containerd.service"} <= set(
        lines
    )
    assert "ListenStream=/run/docker.sock" in socket.splitlines()


async def test_step_writes_both_units_verified_together_then_changes_nothing() -> None:
    fake = _fake()
    service, socket = _units()
    await converge(WriteDockerUnits(service, socket), Ctx(fake))
    assert fake.text("/etc/systemd/system/docker.service") == service
    assert fake.text("/etc/systemd/system/docker.socket") == socket
    verify = [c for c in fake.ran if c.startswith("systemd-analyze verify")]
    assert len(verify) == 1 and "docker.socket" in verify[0] and "docker.service" in verify[0]


async def test_a_pair_systemd_rejects_is_not_installed() -> None:
    fake = _fake(Result(1, "", "docker.service: bad setting"))
    service, socket = _units()
    with pytest.raises(CommandError, match="verify"):
        await ensure_units(Host(fake), {"docker.socket": socket, "docker.service": service})
    assert not fake.exists("/etc/systemd/system/docker.service")


async def test_socket_group_is_added_once() -> None:
    fake = _fake()
    assert (await ensure_socket_group(Host(fake))).changed
    assert not (await ensure_socket_group(Host(fake))).changed
    assert sum(c.startswith("groupadd") for c in fake.ran) == 1
