"""InstallAddonChart: archive uploaded, hooks around an install only, second run a no-op."""

from __future__ import annotations

from pathlib import Path

from cluster_step_helpers import FakeHelm
from fakeconn import OK, FakeConnection
from stepctx import Ctx, converge

from kubexm.step.addons.install_addon_chart import InstallAddonChart
from kubexm.step.addons.release import HelmRelease, remote_chart


async def test_bundled_chart_with_hooks_installs_once(tmp_path: Path) -> None:
    archive = tmp_path / "metallb-0.15.2.tgz"
    archive.write_bytes(b"chart")
    release = HelmRelease(
        "metallb", "addon-metallb-0", remote_chart(archive.name), "metallb", "0.15.2"
    )
    fake = FakeConnection("m1")
    helm = FakeHelm({release.chart: "metallb-0.15.2"})
    helm.install(fake)
    fake.script("export KUBECONFIG=", OK)
    step = InstallAddonChart(release, archive, ("echo pre",), ("echo post",))

    await converge(step, Ctx(fake, host="m1"))

    assert fake.files[release.chart].data == b"chart"
    hooks = [c for c in fake.ran if c.startswith("export KUBECONFIG=")]
    assert [h.rsplit("; ", 1)[1] for h in hooks] == ["echo pre", "echo post"]
    await step.run(Ctx(fake, host="m1"))
    assert len(helm.installs) == 1
    assert len([c for c in fake.ran if c.startswith("export KUBECONFIG=")]) == 2
    assert step.describe() == "Install add-on chart metallb in addon-metallb-0"


async def test_repository_chart_needs_no_upload() -> None:
    release = HelmRelease("x", "ns", "x", "x", "1.0.0", repo="https://charts.example")
    fake = FakeConnection("m1")
    helm = FakeHelm({"x": "x-1.0.0"})
    helm.install(fake)

    await converge(InstallAddonChart(release), Ctx(fake, host="m1"))

    assert "--repo https://charts.example" in helm.installs[0]
