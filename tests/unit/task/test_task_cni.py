"""CNI tasks: manifest or chart on the first master, then the wait for every kubelet node."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_kit import Ctx, cluster, stock

from kubexm.errors import ArtifactError, PlanError
from kubexm.step.addons.install_helm import InstallHelm
from kubexm.step.cni.install_cni_chart import InstallCniChart
from kubexm.step.cni.install_cni_manifest import InstallCniManifest
from kubexm.step.cni.wait_nodes_ready import WaitNodesReady
from kubexm.task.cni import (
    CniInstallTask,
    CniPlan,
    NodesReadyWaitTask,
    first_master,
    image_map,
    kube_nodes,
    manifest_file,
)


def plan(tmp_path: Path, extra: str = "") -> tuple[Ctx, CniPlan]:
    c = cluster(extra)
    return Ctx(c, tmp_path), CniPlan(stock(tmp_path, c))


def test_calico_is_one_adapted_manifest_on_the_first_master(tmp_path: Path) -> None:
    ctx, cni = plan(tmp_path)

    frag = CniInstallTask(cni).plan(ctx)

    assert frag is not None
    [step_node] = list(frag)
    assert step_node.host == "m1"
    assert isinstance(step_node.step, InstallCniManifest)
    assert "CALICO_IPV4POOL_CIDR" in step_node.step.manifest


def test_flannel_manifest_comes_from_its_release_file(tmp_path: Path) -> None:
    ctx, cni = plan(tmp_path, "  network: {plugin: flannel}\n")

    [step_node] = list(CniInstallTask(cni).plan(ctx) or [])

    assert isinstance(step_node.step, InstallCniManifest)
    assert step_node.step.plugin == "flannel"
    assert "kube-flannel-cfg" in step_node.step.manifest


def test_cilium_installs_helm_then_the_chart(tmp_path: Path) -> None:
    ctx, cni = plan(tmp_path, "  network: {plugin: cilium}\n")

    frag = CniInstallTask(cni).plan(ctx)

    assert frag is not None
    nodes = {n.id: n for n in frag}
    helm, chart = nodes["cni/install-helm@m1"], nodes["cni/install-cni-chart@m1"]
    assert isinstance(helm.step, InstallHelm) and isinstance(chart.step, InstallCniChart)
    assert helm.id in chart.deps
    assert chart.step.release.chart_name == "cilium"
    assert "k8sServiceHost: lb.kubexm.local" in chart.step.release.values


def test_a_missing_manifest_points_at_kubexm_download(tmp_path: Path) -> None:
    ctx = Ctx(cluster(), tmp_path)

    with pytest.raises(
        ArtifactError, match=r"calico-manifest 3.31.7 is not in the artifacts"
    ) as err:
        CniInstallTask(CniPlan(tmp_path / "empty")).plan(ctx)
    assert "kubexm download" in err.value.hint


def test_a_local_sources_manifest_replaces_the_release_file(tmp_path: Path) -> None:
    own = tmp_path / "my-calico.yaml"
    own.write_text(
        (Path(__file__).resolve().parents[2] / "e2e/standins/manifests/calico.yaml").read_text()
    )
    c = cluster(f"  network: {{calico: {{sources: {{yaml: {{path: [{own}]}}}}}}}}\n")

    assert manifest_file(c, tmp_path / "none") == own
    bad = cluster("  network: {calico: {sources: {yaml: {path: ['https://x/calico.yaml']}}}}\n")
    with pytest.raises(PlanError, match=r"one local manifest"):
        manifest_file(bad, tmp_path)


def test_unsupported_plugins_are_refused(tmp_path: Path) -> None:
    ctx, cni = plan(tmp_path, "  network: {plugin: kube-ovn}\n")

    with pytest.raises(PlanError, match=r"kube-ovn"):
        CniInstallTask(cni).plan(ctx)


def test_wait_covers_every_kubelet_node_but_not_etcd_only_hosts(tmp_path: Path) -> None:
    ctx, cni = plan(tmp_path)

    [step_node] = list(NodesReadyWaitTask(cni).plan(ctx) or [])

    assert isinstance(step_node.step, WaitNodesReady)
    assert step_node.step.nodes == ("m1", "m2", "w1") == kube_nodes(ctx.config)
    assert first_master(ctx.config) == "m1"


def test_image_map_follows_the_private_registry() -> None:
    c = cluster("  registry: {mirroring: {privateRegistry: reg:5000}}\n")

    assert image_map(c, "cni:calico")["node"] == "reg:5000/calico/node:v3.31.7"
