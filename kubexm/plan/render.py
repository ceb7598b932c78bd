"""Print a graph: an indented per-host text plan, a JSON document, Graphviz DOT."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kubexm.plan.graph import PLAN_HOST, Graph


def to_text(graph: Graph, marks: Mapping[str, str] | None = None) -> str:
    """One block per host listing its steps in run order; ``marks`` adds a status per node id.

    Dependencies on other hosts are shown so a reader sees cross-host ordering.
    """
    marks = marks or {}
    per_host: dict[str, list[str]] = {h: [] for h in graph.hosts()}
    for nid in graph.order:
        node = graph.nodes[nid]
        if node.host != PLAN_HOST:
            per_host[node.host].append(nid)
    lines = [f"plan {graph.name}: {_count(graph)} steps on {len(per_host)} hosts"]
    for host, ids in per_host.items():
        lines.append(f"{host} ({len(ids)} steps)")
        for n, nid in enumerate(ids, 1):
            lines.extend(_text_node(graph, nid, n, marks.get(nid, "")))
    return "\n".join(lines) + "\n"


def _count(graph: Graph) -> int:
    return sum(1 for n in graph.nodes.values() if n.host != PLAN_HOST)


def _text_node(graph: Graph, nid: str, n: int, mark: str) -> list[str]:
    node = graph.nodes[nid]
    prefix = f"[{mark}] " if mark else ""
    lines = [f"  {n:>3}. {prefix}{node.step.name}  {node.step.describe()}"]
    remote = _remote_deps(graph, nid)
    if remote:
        lines.append(f"       after {', '.join(remote)}")
    return lines


def _remote_deps(graph: Graph, nid: str) -> list[str]:
    """Dependencies on other hosts, seen through barrier nodes."""
    node = graph.nodes[nid]
    out: dict[str, None] = {}
    for dep in node.deps:
        dn = graph.nodes[dep]
        if dn.host == PLAN_HOST:
            out[f"all of {dn.step.name.removesuffix('/barrier')}"] = None
        elif dn.host != node.host:
            out[dep] = None
    return list(out)


def to_dict(graph: Graph) -> dict[str, Any]:
    """A JSON-ready description: name and every node with step, host, inputs hash and deps."""
    return {
        "name": graph.name,
        "hosts": graph.hosts(),
        "nodes": [
            {
                "id": nid,
                "step": graph.nodes[nid].step.name,
                "host": graph.nodes[nid].host,
                "title": graph.nodes[nid].step.title,
                "description": graph.nodes[nid].step.describe(),
                "fingerprint": graph.nodes[nid].step.fingerprint(),
                "deps": list(graph.nodes[nid].deps),
            }
            for nid in graph.order
        ],
    }


def to_json(graph: Graph) -> str:
    return json.dumps(to_dict(graph), indent=2)


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: Graph) -> str:
    """Graphviz DOT with one cluster per host; render with ``dot -Tsvg``."""
    lines = [f"digraph {_dot_quote(graph.name)} {{", "  rankdir=LR;", "  node [shape=box];"]
    for k, host in enumerate(graph.hosts()):
        lines.append(f"  subgraph cluster_{k} {{")
        lines.append(f"    label={_dot_quote(host)};")
        lines.extend(
            f"    {_dot_quote(n.id)} [label={_dot_quote(n.step.title)}];"
            for n in graph.nodes.values()
            if n.host == host
        )
        lines.append("  }")
    lines.extend(
        f"  {_dot_quote(n.id)} [shape=point];" for n in graph.nodes.values() if n.host == PLAN_HOST
    )
    lines.extend(
        f"  {_dot_quote(dep)} -> {_dot_quote(n.id)};"
        for n in graph.nodes.values()
        for dep in n.deps
    )
    lines.append("}")
    return "\n".join(lines) + "\n"
