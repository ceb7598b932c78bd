"""OSModule: the four OS tasks, linked host by host."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import load_text
from kubexm.module import MODULES
from kubexm.module.os import OSModule
from kubexm.plan import Graph

FACTS = {"os_id": "debian", "os_version": "12", "arch": "amd64", "os_family": "debian",
         "package_manager": "apt"}  # fmt: skip


def cluster(system: str = "{}") -> Cluster:
    text = f"""
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {{name: t}}
spec:
  global: {{privateKeyPath: /k}}
  hosts: [{{name: m1, address: 10.0.0.1}}, {{name: w1, address: 10.0.0.2}}]
  roleGroups: {{master: [m1], etcd: [m1], worker: [w1]}}
  system: {system}
"""
    return load_text(text, source="t.yaml").cluster


@dataclass
class Ctx:
    config: Cluster

    def hosts_with_role(self, role: str) -> list[str]:
        return [h.name for h in self.config.hosts_in_role(role)]

    def facts(self, host: str) -> Mapping[str, object]:
        return FACTS


def test_os_module_is_registered_as_os() -> None:
    assert MODULES.get("os") is OSModule


def test_os_module_orders_tasks_per_host_without_cross_host_edges() -> None:
    fragment = OSModule().plan(Ctx(cluster()))
    assert fragment is not None
    graph = Graph.from_fragment(fragment, "os")
    nodes = {n.id: n for n in fragment}
    for node in nodes.values():
        assert all(nodes[d].host == node.host for d in node.deps), node.id
    hosts_block = nodes["os/write-hosts-block@w1"]
    packages = nodes["os/install-os-packages@w1"]
    assert list(packages.deps) == [hosts_block.id]
    assert "os/write-chrony-config@w1" in nodes
    assert len(graph) == len(fragment) == 2 * 10  # 10 steps per Debian host (no SELinux step)


def test_os_module_skips_time_steps_with_skip_configure_os() -> None:
    fragment = OSModule().plan(Ctx(cluster("{skipConfigureOS: true}")))
    assert fragment is not None
    names = {n.step.name for n in fragment}
    assert "os/write-timezone" not in names and "os/write-chrony-config" not in names
    assert "os/write-sysctl" in names
