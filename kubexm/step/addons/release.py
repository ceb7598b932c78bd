"""A helm release in the cluster as planned: chart, version and values.

``ensure_release`` decides from the cluster's own record, read on the host with helm: the
release is up to date when ``helm list`` shows it ``deployed`` from ``<chart>-<version>`` and
``helm get values`` returns exactly the planned values (compared as canonical JSON digests).
Only then is ``helm upgrade --install`` skipped, so a second run changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubexm.errors import StepError
from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.kube import helm
from kubexm.util.yamlio import load_yaml_plain

#: Values files on the first master (0600: add-on values may hold credentials).
VALUES_DIR = "/etc/kubexm/helm"


@dataclass(frozen=True)
class HelmRelease:
    """What to install: ``chart`` is a chart archive path on the host, or a chart name with
    ``repo`` (a repository URL); ``chart_name``-``version`` is what ``helm list`` reports
    once it is installed. ``values`` is YAML text (empty: no values)."""

    name: str
    namespace: str
    chart: str
    chart_name: str
    version: str
    values: str = ""
    repo: str = ""
    wait: bool = True
    timeout_seconds: int = 300

    @property
    def values_path(self) -> str:
        return posixpath.join(VALUES_DIR, self.namespace, f"{self.name}.values.yaml")

    def values_digest(self) -> str:
        """sha256 of the planned values as canonical JSON."""
        return values_digest(load_yaml_plain(self.values) if self.values else {})

    def install_args(self) -> list[str]:
        """The ``helm upgrade --install`` arguments of this release."""
        args = ["upgrade", "--install", self.name, self.chart, "-n", self.namespace]
        args += ["--create-namespace", "-f", self.values_path]
        if self.repo:
            args += ["--repo", self.repo]
        if self.version and (self.repo or not self.chart.endswith(".tgz")):
            args += ["--version", self.version]
        if self.wait:
            args += ["--wait", "--timeout", f"{self.timeout_seconds}s"]
        return args


def values_digest(values: Any) -> str:
    """sha256 of ``values`` as sorted, compact JSON (None counts as no values)."""
    text = json.dumps(values or {}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _json(text: str, what: str, host: Host) -> Any:
    try:
        return json.loads(text or "null")
    except json.JSONDecodeError as exc:
        raise StepError(
            f"[{host.name}] {what} did not return JSON", "check the helm binary on the host"
        ) from exc


async def release_status(host: Host, release: HelmRelease) -> tuple[str, str] | None:
    """(``chart-version``, status) of the installed release, None when there is none."""
    args = ["list", "-n", release.namespace, "-a", "-o", "json"]
    args += ["--filter", f"^{release.name}$"]
    found = _json((await helm(host, args)).stdout, "helm list", host)
    for item in found or []:
        if item.get("name") == release.name:
            return str(item.get("chart", "")), str(item.get("status", ""))
    return None


async def release_up_to_date(host: Host, release: HelmRelease) -> bool:
    """True when the release is deployed from the planned chart version with the values."""
    status = await release_status(host, release)
    if status != (f"{release.chart_name}-{release.version}", "deployed"):
        return False
    args = ["get", "values", release.name, "-n", release.namespace, "-o", "json"]
    current = _json((await helm(host, args)).stdout, "helm get values", host)
    return values_digest(current) == release.values_digest()


async def ensure_release(host: Host, release: HelmRelease) -> OpResult:
    """The values file is on the host and the release matches it (see the module docstring).

    Raises ``CommandError`` when helm fails (unreachable API server, a chart that does not
    install, ``--wait`` running out of time).
    """
    values = await ensure_file(host, release.values_path, release.values, mode=0o600)
    if not values.changed and await release_up_to_date(host, release):
        return OpResult.unchanged(f"helm release {release.name} up to date")
    timeout = float(release.timeout_seconds + 60)
    await helm(host, release.install_args(), mutates=True, timeout=timeout)
    verb = "would install" if host.dry_run else "installed"
    return combine([values, OpResult(True, f"{verb} helm release {release.name}")])


#: Where chart archives wait on the host.
CHART_DIR = "/var/lib/kubexm/artifacts/charts"


def remote_chart(archive_name: str) -> str:
    """The host path a local chart archive is uploaded to."""
    return posixpath.join(CHART_DIR, archive_name)


async def ensure_uploaded(host: Host, archive: Path, remote: str) -> OpResult:
    """``remote`` holds the local file ``archive`` (unchanged when the sha256 matches)."""
    return await ensure_file(host, remote, archive.read_bytes(), mode=0o644)
