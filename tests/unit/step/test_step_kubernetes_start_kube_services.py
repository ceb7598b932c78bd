"""StartKubeServices: start once, restart only when the settings digest changed."""

from __future__ import annotations

import pytest
from etcd_step_helpers import printf_to_file
from fakeconn import FakeConnection, FakeSystemd, Unit
from stepctx import Ctx, converge

from kubexm.errors import CommandError
from kubexm.step.kubernetes.start_kube_services import ServiceSettings, StartKubeServices


def host(*units: str) -> tuple[FakeConnection, FakeSystemd]:
    fake = FakeConnection("m1")
    systemd = FakeSystemd({u: Unit() for u in units}).install(fake)
    fake.on("printf", printf_to_file)
    return fake, systemd


def step(digest: str = "d1") -> StartKubeServices:
    return StartKubeServices(
        (ServiceSettings("kube-apiserver", digest), ServiceSettings("kube-scheduler", "s1"))
    )


async def test_starts_enables_and_records_each_service() -> None:
    fake, systemd = host("kube-apiserver.service", "kube-scheduler.service")
    await converge(step(), Ctx(fake))
    assert systemd.units["kube-apiserver.service"] == Unit(active=True, enabled="enabled")
    assert fake.text("/var/lib/kubexm/kube-apiserver.applied") == "d1\n"
    assert step().describe().endswith("kube-apiserver, kube-scheduler")


async def test_restarts_only_the_service_whose_digest_changed() -> None:
    fake, _ = host("kube-apiserver.service", "kube-scheduler.service")
    await step().run(Ctx(fake))
    fake.ran.clear()
    await converge(step("d2"), Ctx(fake))
    restarts = [c for c in fake.ran if "systemctl restart" in c]
    assert restarts == [
        "systemctl restart kube-apiserver.service && mkdir -p -- /var/lib/kubexm && "
        "printf '%s\\n' d2 > /var/lib/kubexm/kube-apiserver.applied"
    ]


async def test_a_disabled_running_service_is_enabled_without_a_restart() -> None:
    fake, systemd = host("kube-apiserver.service", "kube-scheduler.service")
    await step().run(Ctx(fake))
    systemd.units["kube-scheduler.service"].enabled = "disabled"
    await converge(step(), Ctx(fake))
    assert systemd.units["kube-scheduler.service"].enabled == "enabled"
    assert not [c for c in fake.ran if "restart" in c]


async def test_a_missing_unit_fails() -> None:
    fake, _ = host()
    with pytest.raises(CommandError):
        await step().run(Ctx(fake))
