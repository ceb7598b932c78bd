"""Label and taint a registered Node from the control plane (labels a kubelet may not set)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from kubexm.errors import CommandError
from kubexm.runner.host import Host, OpResult, combine, poll_script
from kubexm.runner.kube import kubectl
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.kubernetes.wait_kube_apiserver import readyz_probe
from kubexm.util.shell import join


@dataclass(frozen=True)
class Taint:
    """A Node taint; ``spec`` is kubectl's ``key=value:effect`` form."""

    key: str
    effect: str
    value: str = ""

    @property
    def spec(self) -> str:
        value = f"={self.value}" if self.value else ""
        return f"{self.key}{value}:{self.effect}"


def missing_labels(node: dict[str, Any], labels: dict[str, str]) -> dict[str, str]:
    """The labels of ``labels`` the Node does not carry with that value."""
    have = node.get("metadata", {}).get("labels") or {}
    return {k: v for k, v in labels.items() if have.get(k) != v}


def missing_taints(node: dict[str, Any], taints: tuple[Taint, ...]) -> list[Taint]:
    """The taints of ``taints`` the Node lacks (same key, effect and value)."""
    have = node.get("spec", {}).get("taints") or []
    seen = {(t.get("key"), t.get("effect"), t.get("value") or "") for t in have}
    return [t for t in taints if (t.key, t.effect, t.value) not in seen]


@register_step
@dataclass(frozen=True)
class WriteNodeLabels(EnsureStep):
    """End state: Node ``node`` carries every label of ``labels`` (role labels and those a
    kubelet may not set on itself) and every taint of ``taints``, set through the API with
    ``kubeconfig``. Labels and taints added by others are left alone; nothing is removed.
    Waits up to ``wait_seconds`` for the kubelet to register the Node. Unchanged when all are
    present. Fails with ``CommandError`` when the Node never registers or kubectl fails.
    """

    name: ClassVar[str] = "kubernetes/write-node-labels"
    title: ClassVar[str] = "Write node labels and taints"
    node: str
    labels: tuple[tuple[str, str], ...]
    taints: tuple[Taint, ...]
    kubeconfig: str
    wait_seconds: float = 180.0

    def describe(self) -> str:
        return f"{self.title} of {self.node}"

    async def ensure(self, host: Host) -> OpResult:
        found = await self._node(host)
        if found is None:
            if host.dry_run:
                return OpResult(True, f"would label and taint node {self.node} once registered")
            await self._wait_registered(host)
            found = await self._node(host) or {}
        results = []
        labels = missing_labels(found, dict(self.labels))
        if labels:
            pairs = [f"{k}={v}" for k, v in sorted(labels.items())]
            args = ["label", "node", self.node, "--overwrite", *pairs]
            await kubectl(host, args, kubeconfig=self.kubeconfig, mutates=True)
            results.append(OpResult(True, f"label node {self.node}: {', '.join(pairs)}"))
        taints = missing_taints(found, self.taints)
        if taints:
            args = ["taint", "node", self.node, "--overwrite", *(t.spec for t in taints)]
            await kubectl(host, args, kubeconfig=self.kubeconfig, mutates=True)
            results.append(OpResult(True, f"taint node {self.node}"))
        return combine(results) if results else OpResult.unchanged(f"node {self.node} labelled")

    async def _node(self, host: Host) -> dict[str, Any] | None:
        args = ["get", "node", self.node, "-o", "json", "--ignore-not-found"]
        # A dry run before the control plane is up has nothing to ask.
        if host.dry_run and not await host.test(readyz_probe(self.kubeconfig), timeout=30.0):
            return None
        result = await kubectl(host, args, kubeconfig=self.kubeconfig)
        if not result.stdout.strip():
            return None
        try:
            doc = json.loads(result.stdout)
        except ValueError as exc:
            raise CommandError(
                host.name, "kubectl get node", 0, result.stdout, "", hint="unexpected output"
            ) from exc
        return doc if isinstance(doc, dict) else None

    async def _wait_registered(self, host: Host) -> None:
        probe = join(
            ["kubectl", "--kubeconfig", self.kubeconfig, "get", "node", self.node, "-o", "name"]
        )
        await host.wait(
            f"node {self.node} registered",
            poll_script(f"PATH=$PATH:/usr/local/bin {probe} >/dev/null 2>&1", self.wait_seconds),
            timeout=self.wait_seconds,
            hint=f"see 'journalctl -u kubelet' on {self.node}",
        )
