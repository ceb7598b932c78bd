"""WriteKubeConfig: config files and verified units, reload only on a change."""

from __future__ import annotations

from fakeconn import OK, FakeConnection, FakeSystemd
from stepctx import Ctx, converge

from kubexm.step.kubernetes.upload_kube_pki import HostFile
from kubexm.step.kubernetes.write_kube_config import UnitFile, WriteKubeConfig

STEP = WriteKubeConfig(
    (HostFile("/var/lib/kubelet/config.yaml", b"kind: KubeletConfiguration\n"),),
    (UnitFile("kubelet.service", "[Service]\nExecStart=/usr/local/bin/kubelet\n"),),
)


def host() -> tuple[FakeConnection, FakeSystemd]:
    fake = FakeConnection("n1")
    systemd = FakeSystemd().install(fake)
    fake.script("systemd-analyze verify", OK)
    return fake, systemd


async def test_writes_files_and_units_and_reloads_once() -> None:
    fake, systemd = host()
    await converge(STEP, Ctx(fake))
    assert fake.text("/etc/systemd/system/kubelet.service").startswith("[Service]")
    assert "/var/lib/kubelet/config.yaml" in fake.files
    assert systemd.reloads == 1
    await STEP.run(Ctx(fake))
    assert systemd.reloads == 1
    assert STEP.describe().endswith("config.yaml, kubelet.service")


async def test_a_changed_unit_is_rewritten_without_a_restart() -> None:
    fake, systemd = host()
    await STEP.run(Ctx(fake))
    changed = WriteKubeConfig(STEP.files, (UnitFile("kubelet.service", "[Service]\n"),))
    await converge(changed, Ctx(fake))
    assert systemd.reloads == 2
    assert not [c for c in fake.ran if "restart" in c]
