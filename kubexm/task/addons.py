"""Tasks of ``spec.addons[]``, on the first master: each enabled add-on's sources in order,
a helm chart (from the bundle, a local archive or its repository) or local YAML manifests.

A source's namespace defaults to ``addon-<name>-<index>``; chart values are the
``valuesFile`` with every ``values`` entry (``a.b=c``) set on top, handed to helm as one
values file so ``helm get values`` can be compared with them on the next run.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any, ClassVar

from kubexm.apis.v1alpha1.addons import Addon
from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.sources import AddonSource, ChartSource, YamlSource
from kubexm.errors import ArtifactError, PlanError
from kubexm.plan import Fragment, PlanContext
from kubexm.resource.bundle_manifest import chart_member
from kubexm.resource.model import ChartArtifact
from kubexm.step.addons.install_addon_chart import InstallAddonChart
from kubexm.step.addons.install_addon_manifest import InstallAddonManifest
from kubexm.step.addons.release import HelmRelease, remote_chart
from kubexm.step.base import Step
from kubexm.task.base import Task
from kubexm.task.cni import cluster_of, first_master, install_helm
from kubexm.util.dotpath import set_path
from kubexm.util.yamlio import YAMLSyntaxError, dump_yaml, load_yaml_plain


def enabled_addons(cluster: Cluster) -> list[Addon]:
    """The add-ons that are on, in config order."""
    return [addon for addon in cluster.spec.addons if addon.enabled]


def uses_helm(cluster: Cluster) -> bool:
    """True when an enabled add-on installs a chart."""
    return any(s.chart is not None for a in enabled_addons(cluster) for s in a.sources)


def namespace_of(addon: Addon, index: int, source: AddonSource) -> str:
    """The source's namespace, ``addon-<name>-<index>`` when not set."""
    return source.namespace or f"addon-{addon.name}-{index}"


def _scalar(text: str) -> Any:
    """A ``k=v`` value typed like YAML reads it (``true``, ``3``), text when it is not."""
    try:
        value = load_yaml_plain(text) if text else ""
    except YAMLSyntaxError:
        return text
    return value if isinstance(value, str | int | float | bool) else text


def chart_values(addon: str, chart: ChartSource) -> dict[str, Any]:
    """``valuesFile`` (YAML on this machine) with every ``values`` entry set on top.

    PlanError when the file cannot be read or is not a mapping, or an entry has no ``=``.
    """
    values: dict[str, Any] = {}
    if chart.values_file:
        try:
            loaded = load_yaml_plain(Path(chart.values_file).read_text(encoding="utf-8"))
        except (OSError, YAMLSyntaxError) as exc:
            raise PlanError(
                f"add-on {addon}: cannot read valuesFile {chart.values_file}: {exc}",
                "give a readable YAML file on the machine running kubexm",
            ) from exc
        if not isinstance(loaded, dict | None):
            raise PlanError(
                f"add-on {addon}: {chart.values_file} is not a mapping",
                "a values file holds keys at the top level, like helm's own values.yaml",
            )
        values = dict(loaded or {})
    for entry in chart.values:
        key, sep, value = entry.partition("=")
        if not sep or not key:
            raise PlanError(
                f"add-on {addon}: value {entry!r} is not key=value",
                "write chart values as 'a.b=value'",
            )
        set_path(values, key, _scalar(value))
    return values


def chart_identity(archive: Path) -> tuple[str, str]:
    """(name, version) from the ``Chart.yaml`` inside a chart archive; ArtifactError when
    the archive cannot be read or holds no chart."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            member = next(
                m
                for m in tar.getmembers()
                if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml")
            )
            data = tar.extractfile(member)
            meta = load_yaml_plain(data.read().decode("utf-8")) if data else None
    except (OSError, tarfile.TarError, StopIteration, UnicodeDecodeError, YAMLSyntaxError) as exc:
        raise ArtifactError(
            f"{archive} is not a helm chart archive", "package it with 'helm package'"
        ) from exc
    if not isinstance(meta, dict) or "name" not in meta or "version" not in meta:
        raise ArtifactError(f"{archive}: Chart.yaml lacks name or version", "fix the chart")
    return str(meta["name"]), str(meta["version"])


class AddonsInstallTask(Task):
    """helm once (when a chart is used), then every source of every enabled add-on."""

    name: ClassVar[str] = "addons/install"
    description: ClassVar[str] = "Install the add-ons"

    def __init__(self, artifacts: Path, *, offline: bool = False) -> None:
        self.artifacts = artifacts
        self.offline = offline

    def is_required(self, ctx: PlanContext) -> bool:
        return bool(enabled_addons(cluster_of(ctx)))

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        host = first_master(cluster)
        frag = Fragment(self.name)
        last: list[str] = []
        if uses_helm(cluster):
            helm = install_helm(cluster, self.artifacts)
            last = [frag.add(helm, host, id=f"addons/install-helm@{host}")]
        for addon in enabled_addons(cluster):
            for index, source in enumerate(addon.sources):
                step = self.source_step(addon, index, source)
                nid = f"addons/{addon.name}-{index}@{host}"
                last = [frag.add(step, host, after=last, id=nid)]
        return frag

    def source_step(self, addon: Addon, index: int, source: AddonSource) -> Step:
        """The step installing one source of ``addon``."""
        hooks = (tuple(addon.pre_install), tuple(addon.post_install))
        if source.chart is not None:
            release, archive = self.release(addon, index, source, source.chart)
            return InstallAddonChart(release, archive, *hooks)
        if source.yaml is not None:
            return InstallAddonManifest(addon.name, manifests(addon.name, source.yaml), *hooks)
        raise PlanError(
            f"add-on {addon.name}: a source has neither chart nor yaml", "give one of them"
        )

    def release(
        self, addon: Addon, index: int, source: AddonSource, chart: ChartSource
    ) -> tuple[HelmRelease, Path | None]:
        """The helm release of a chart source and the local archive to upload (None when
        helm pulls from the repository on the host)."""
        archive, repo = self.chart_archive(addon, chart), ""
        if archive is not None:
            chart_name, version = chart_identity(archive)
            ref = remote_chart(archive.name)
        else:
            chart_name, version, ref, repo = (
                str(chart.name),
                str(chart.version),
                str(chart.name),
                str(chart.repo),
            )
        release = HelmRelease(
            name=addon.name if index == 0 else f"{addon.name}-{index}",
            namespace=namespace_of(addon, index, source),
            chart=ref,
            chart_name=chart_name,
            version=version,
            values=dump_yaml(chart_values(addon.name, chart)),
            repo=repo,
            wait=chart.wait,
            timeout_seconds=addon.timeout_seconds,
        )
        return release, archive

    def chart_archive(self, addon: Addon, chart: ChartSource) -> Path | None:
        """The local archive: ``path``, else the bundle's ``charts/<name>-<version>.tgz``;
        None when helm should pull from the repository (never when offline)."""
        if chart.path:
            path = Path(chart.path)
            if not path.is_file() or not path.name.endswith(".tgz"):
                raise PlanError(
                    f"add-on {addon.name}: chart path {chart.path} is not a chart archive",
                    "give a .tgz made by 'helm package' on the machine running kubexm",
                )
            return path
        member = chart_member(ChartArtifact(str(chart.name), str(chart.version), "", ""))
        bundled = self.artifacts / member
        if chart.version and bundled.is_file():
            return bundled
        if self.offline or not chart.version:
            raise ArtifactError(
                f"add-on {addon.name}: chart {chart.name} {chart.version or '(no version)'} is "
                f"not in the artifacts ({bundled})",
                "set sources[].chart.version and put the chart archive there "
                "('helm pull --version <v>'), or unpack the offline bundle",
            )
        return None


def manifests(addon: str, source: YamlSource) -> tuple[tuple[str, str], ...]:
    """(label, text) of every local manifest file of a YAML source; PlanError for a URL or
    an unreadable file (kubexm applies only what it can show in a plan)."""
    found = []
    for path in source.path:
        if "://" in path:
            raise PlanError(
                f"add-on {addon}: manifest {path} is a URL",
                "download it and give the local path, so the plan shows what is applied",
            )
        try:
            found.append((f"{addon} {Path(path).name}", Path(path).read_text(encoding="utf-8")))
        except OSError as exc:
            raise PlanError(
                f"add-on {addon}: cannot read {path}: {exc.strerror}",
                "give a readable file on the machine running kubexm",
            ) from exc
    return tuple(found)
