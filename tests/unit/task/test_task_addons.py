"""Add-on tasks: helm once, then each source in order; values, namespaces, archives."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_kit import Ctx, chart_archive, cluster, stock

from kubexm.apis.v1alpha1.sources import ChartSource, YamlSource
from kubexm.errors import ArtifactError, PlanError
from kubexm.step.addons.install_addon_chart import InstallAddonChart
from kubexm.step.addons.install_addon_manifest import InstallAddonManifest
from kubexm.task.addons import (
    AddonsInstallTask,
    chart_identity,
    chart_values,
    enabled_addons,
    manifests,
    uses_helm,
)


def addons(body: str) -> str:
    return f"  addons:\n{body}"


def test_helm_then_chart_then_yaml_in_config_order(tmp_path: Path) -> None:
    values = tmp_path / "v.yaml"
    values.write_text("controller: {replicas: 1}\n")
    manifest = tmp_path / "ns.yaml"
    manifest.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n")
    chart_archive(tmp_path / ".kubexm-artifacts", "x", "0")  # unrelated archive: ignored
    c = cluster(
        addons(
            "    - name: metallb\n      enabled: true\n      sources:\n"
            "        - chart: {name: metallb, repo: 'https://metallb.github.io/metallb',"
            f" version: 0.15.2, valuesFile: {values},"
            " values: ['controller.replicas=2', 'speaker.enabled=false']}\n"
            f"        - yaml: {{path: [{manifest}]}}\n"
            "    - name: off\n      sources: [{yaml: {path: [/nope]}}]\n"
        )
    )
    ctx = Ctx(c, tmp_path)
    stock(tmp_path, c)

    frag = AddonsInstallTask(ctx.work_dir.artifacts).plan(ctx)

    assert frag is not None
    nodes = list(frag)
    assert [n.id for n in nodes] == [
        "addons/install-helm@m1",
        "addons/metallb-0@m1",
        "addons/metallb-1@m1",
    ]
    chart, yaml = nodes[1].step, nodes[2].step
    assert isinstance(chart, InstallAddonChart) and isinstance(yaml, InstallAddonManifest)
    assert chart.archive is None and chart.release.repo == "https://metallb.github.io/metallb"
    assert chart.release.namespace == "addon-metallb-0"
    assert "replicas: 2" in chart.release.values and "enabled: false" in chart.release.values
    assert yaml.manifests[0][0] == "metallb ns.yaml"
    assert nodes[1].id in nodes[2].deps


def test_a_bundled_chart_archive_is_preferred(tmp_path: Path) -> None:
    c = cluster(
        addons(
            "    - name: lb\n      enabled: true\n      sources:\n"
            "        - namespace: metallb-system\n"
            "          chart: {name: metallb, repo: 'https://r.example', version: 0.15.2}\n"
        )
    )
    ctx = Ctx(c, tmp_path)
    stock(tmp_path, c)
    chart_archive(ctx.work_dir.artifacts / "charts/metallb-0.15.2.tgz", "metallb", "0.15.2")

    nodes = list(AddonsInstallTask(ctx.work_dir.artifacts, offline=True).plan(ctx) or [])

    step = nodes[1].step
    assert isinstance(step, InstallAddonChart) and step.archive is not None
    assert step.release.chart == "/var/lib/kubexm/artifacts/charts/metallb-0.15.2.tgz"
    assert (step.release.chart_name, step.release.version) == ("metallb", "0.15.2")
    assert step.release.namespace == "metallb-system"


def test_offline_without_the_archive_is_an_artifact_error(tmp_path: Path) -> None:
    c = cluster(
        addons(
            "    - name: lb\n      enabled: true\n      sources:\n"
            "        - chart: {name: metallb, repo: 'https://r.example', version: 0.15.2}\n"
        )
    )
    ctx = Ctx(c, tmp_path)
    stock(tmp_path, c)

    with pytest.raises(ArtifactError, match=r"metallb 0.15.2 is not in the artifacts"):
        AddonsInstallTask(ctx.work_dir.artifacts, offline=True).plan(ctx)


def test_no_enabled_addon_plans_nothing(tmp_path: Path) -> None:
    c = cluster(addons("    - name: off\n      sources: [{yaml: {path: [/x]}}]\n"))

    assert AddonsInstallTask(tmp_path).plan(Ctx(c, tmp_path)) is None
    assert enabled_addons(c) == [] and uses_helm(c) is False


def test_chart_values_merge_the_file_and_typed_entries(tmp_path: Path) -> None:
    values = tmp_path / "v.yaml"
    values.write_text("a: {b: 1}\nc: keep\n")
    chart = ChartSource(valuesFile=str(values), values=["a.b=2", "d=true", "e=text"])

    assert chart_values("x", chart) == {"a": {"b": 2}, "c": "keep", "d": True, "e": "text"}
    with pytest.raises(PlanError, match=r"not key=value"):
        chart_values("x", ChartSource(values=["novalue"]))
    with pytest.raises(PlanError, match=r"cannot read valuesFile"):
        chart_values("x", ChartSource(valuesFile=str(tmp_path / "missing.yaml")))


def test_chart_identity_reads_chart_yaml(tmp_path: Path) -> None:
    archive = chart_archive(tmp_path / "c.tgz", "demo", "1.2.3")
    assert chart_identity(archive) == ("demo", "1.2.3")
    junk = tmp_path / "junk.tgz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(ArtifactError, match=r"not a helm chart archive"):
        chart_identity(junk)


def test_yaml_sources_must_be_local_files(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"is a URL"):
        manifests("x", YamlSource(path=["https://example.com/a.yaml"]))
    with pytest.raises(PlanError, match=r"cannot read"):
        manifests("x", YamlSource(path=[str(tmp_path / "missing.yaml")]))
