from __future__ import annotations

from fakeconn import OK, FakeConnection, FakeSystemd
from runtime_service_kit import golden
from stepctx import Ctx, converge

from kubexm.step.runtime.write_cri_dockerd_units import (
    WriteCriDockerdUnits,
    render_cri_dockerd_units,
)

PAUSE = "registry.k8s.io/pause:3.10"


def test_units_match_golden_files() -> None:
    service, socket = render_cri_dockerd_units(pause_image=PAUSE)
    golden("cri-docker.service", service)
    golden("cri-docker.socket", socket)


def test_service_flags_name_cni_and_the_pause_image() -> None:
    service, socket = render_cri_dockerd_units(pause_image="reg:5000/pause:3.9")
    for flag in (
        "--network-plugin=cni",
        "--pod-infra-container-image=reg:5000/pause:3.9",
        "--container-runtime-endpoint fd://",
        "--docker-endpoint=unix:///run/docker.sock",
    ):
        assert flag in service
    assert "ListenStream=/run/cri-dockerd.sock" in socket.splitlines()


async def test_step_writes_both_units_then_changes_nothing() -> None:
    fake = FakeConnection()
    FakeSystemd().install(fake)
    fake.script("systemd-analyze verify", OK)
    fake.script("getent group docker", OK)
    service, socket = render_cri_dockerd_units(pause_image=PAUSE)
    await converge(WriteCriDockerdUnits(service, socket), Ctx(fake))
    assert fake.text("/etc/systemd/system/cri-docker.service") == service
    assert fake.text("/etc/systemd/system/cri-docker.socket") == socket
