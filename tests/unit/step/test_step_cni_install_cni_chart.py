"""InstallCniChart: the cilium chart staged and released once; a second run is a no-op."""

from __future__ import annotations

from pathlib import Path

from cluster_step_helpers import FakeHelm
from fakeconn import FakeConnection
from stepctx import Ctx, converge

from kubexm.step.addons.release import HelmRelease, remote_chart
from kubexm.step.cni.install_cni_chart import InstallCniChart


async def test_stages_the_chart_and_installs_the_release_once(tmp_path: Path) -> None:
    archive = tmp_path / "cilium-1.20.1.tgz"
    archive.write_bytes(b"chart")
    release = HelmRelease(
        "cilium",
        "kube-system",
        remote_chart(archive.name),
        "cilium",
        "1.20.1",
        "ipv4: {enabled: true}\n",
        wait=False,
    )
    fake = FakeConnection("m1")
    helm = FakeHelm({release.chart: "cilium-1.20.1"})
    helm.install(fake)
    step = InstallCniChart(release, archive)

    await converge(step, Ctx(fake, host="m1"))
    await step.run(Ctx(fake, host="m1"))

    assert len(helm.installs) == 1
    assert "--wait" not in helm.installs[0]
    assert helm.releases[("kube-system", "cilium")].values == {"ipv4": {"enabled": True}}
    assert step.describe() == "Install CNI chart cilium 1.20.1"
