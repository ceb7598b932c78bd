"""The result of a cluster run in a few lines: endpoint, nodes, versions, kubeconfig, phases."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.engine import RunResult


@dataclass(frozen=True)
class Phase:
    """One area of the run (the first part of the step names): wall time and node counts."""

    name: str
    seconds: float
    changed: int
    nodes: int


def phases(result: RunResult) -> list[Phase]:
    """The areas of the run in the order they started, each with its wall time."""
    spans: dict[str, list[float]] = {}
    counts: dict[str, list[int]] = {}
    for outcome in result.outcomes.values():
        area = outcome.step.split("/", 1)[0]
        changed = int(str(outcome.status) == "changed")
        total = counts.setdefault(area, [0, 0])
        total[0] += changed
        total[1] += 1
        if outcome.started is not None and outcome.finished is not None:
            span = spans.setdefault(area, [outcome.started, outcome.finished])
            span[0] = min(span[0], outcome.started)
            span[1] = max(span[1], outcome.finished)
    order = sorted(counts, key=lambda a: spans.get(a, [float("inf")])[0])
    return [Phase(a, _span(spans.get(a)), counts[a][0], counts[a][1]) for a in order]


def _span(span: list[float] | None) -> float:
    return span[1] - span[0] if span else 0.0


def endpoint(cluster: Cluster) -> str:
    """``https://<domain>:<port>`` of the control plane."""
    cpe = cluster.spec.control_plane_endpoint
    return f"https://{cpe.domain}:{cpe.port}"


def node_roles(cluster: Cluster) -> dict[str, list[str]]:
    """Every host with its roles, in the order of ``spec.hosts``."""
    roles: dict[str, list[str]] = {h.name: [] for h in cluster.spec.hosts}
    for role in ("master", "worker", "etcd", "loadbalancer", "registry"):
        for host in cluster.hosts_in_role(role):
            roles[host.name].append(role)
    return roles


def summary_dict(cluster: Cluster, result: RunResult, kubeconfig: Path) -> dict[str, Any]:
    """The ``-o json`` document of a cluster run."""
    return {
        "cluster": cluster.metadata.name,
        "endpoint": endpoint(cluster),
        "kubernetes": {
            "type": cluster.spec.kubernetes.type,
            "version": cluster.spec.kubernetes.version,
        },
        "nodes": node_roles(cluster),
        "kubeconfig": str(kubeconfig),
        "phases": [p.__dict__ for p in phases(result)],
        "run": result.to_dict(),
    }


def summary_lines(cluster: Cluster, result: RunResult, kubeconfig: Path) -> list[str]:
    """The human summary printed after ``create cluster``."""
    counts = result.counts()
    k8s = cluster.spec.kubernetes
    lines = [
        f"cluster {cluster.metadata.name}: {result.status} in "
        f"{result.finished - result.started:.1f}s "
        f"({counts.get('changed', 0)} changed, {counts.get('unchanged', 0)} unchanged, "
        f"{counts.get('resumed', 0)} resumed, {len(result.failed())} failed)",
        f"  endpoint:   {endpoint(cluster)}",
        f"  kubernetes: {k8s.version} ({k8s.type})",
        f"  kubeconfig: {kubeconfig}",
        "  nodes:",
    ]
    lines += [f"    {name:<20} {', '.join(r) or '-'}" for name, r in node_roles(cluster).items()]
    lines.append("  phases:")
    lines += [
        f"    {p.name:<16} {p.seconds:7.1f}s  {p.changed}/{p.nodes} changed" for p in phases(result)
    ]
    return lines
