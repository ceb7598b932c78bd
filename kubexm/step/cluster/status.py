"""Readings of cluster state from ``kubectl ... -o json``: which nodes are not Ready and
which pods are not running, as one human line each."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from kubexm.errors import StepError
from kubexm.runner.host import Host
from kubexm.runner.kube import kubectl

#: Pod phases that count as healthy for the post-checks.
HEALTHY_PHASES = ("Running", "Succeeded")


def _items(text: str, what: str) -> list[Mapping[str, Any]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StepError(f"kubectl get {what} did not return JSON", "check kubectl") from exc
    items = doc.get("items") if isinstance(doc, Mapping) else None
    return [i for i in items or [] if isinstance(i, Mapping)]


def _ready(node: Mapping[str, Any]) -> tuple[bool, str]:
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            detail = cond.get("message") or cond.get("reason") or ""
            return cond.get("status") == "True", str(detail)
    return False, "no Ready condition reported yet"


def node_problems(text: str, expected: Sequence[str]) -> list[str]:
    """One line per node of ``expected`` that is missing or not Ready, and per other node
    that is not Ready, from ``kubectl get nodes -o json`` output ``text``."""
    seen: dict[str, tuple[bool, str]] = {}
    for node in _items(text, "nodes"):
        seen[str((node.get("metadata") or {}).get("name", "?"))] = _ready(node)
    problems = [f"{name}: not registered" for name in expected if name not in seen]
    for name, (ready, detail) in sorted(seen.items()):
        if not ready:
            problems.append(f"{name}: NotReady ({detail})" if detail else f"{name}: NotReady")
    return problems


def _pod_line(pod: Mapping[str, Any]) -> str | None:
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    phase = str(status.get("phase", "Unknown"))
    waiting = [
        str(((c.get("state") or {}).get("waiting") or {}).get("reason", ""))
        for c in status.get("containerStatuses") or []
    ]
    reasons = [r for r in waiting if r]
    if phase in HEALTHY_PHASES and not reasons:
        return None
    why = ", ".join(reasons) or str(status.get("reason") or status.get("message") or "")
    name = f"{meta.get('namespace', '?')}/{meta.get('name', '?')}"
    return f"{name}: {phase}" + (f" ({why})" if why else "")


def pod_problems(text: str) -> list[str]:
    """One line per pod that is neither Running nor Succeeded, or has a container waiting
    (CrashLoopBackOff, ImagePullBackOff...), from ``kubectl get pods -o json`` output."""
    lines = (_pod_line(pod) for pod in _items(text, "pods"))
    return [line for line in lines if line]


async def get_node_problems(host: Host, expected: Iterable[str]) -> list[str]:
    """``node_problems`` of the cluster as the first master's admin kubeconfig sees it."""
    result = await kubectl(host, ["get", "nodes", "-o", "json"])
    return node_problems(result.stdout, list(expected))


async def get_pod_problems(host: Host, namespace: str) -> list[str]:
    """``pod_problems`` of ``namespace``."""
    result = await kubectl(host, ["get", "pods", "-n", namespace, "-o", "json"])
    return pod_problems(result.stdout)


async def wait_for(
    read: Callable[[], Awaitable[list[str]]], wait_seconds: float, interval: float
) -> list[str]:
    """Call ``read`` every ``interval`` seconds until it returns no problems or
    ``wait_seconds`` have passed; the last problems (empty on success)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        problems = await read()
        if not problems or time.monotonic() >= deadline:
            return problems
        await asyncio.sleep(interval)
