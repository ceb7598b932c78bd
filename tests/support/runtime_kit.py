"""A config and an artifacts folder for the runtime task and module tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import load_text
from kubexm.task.runtime import RuntimeVersions, containerd_runtime, release_file

BASE = """apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: t}
spec:
  global: {user: root, password: pw}
  hosts:
    - {name: m1, address: 10.0.0.1}
    - {name: w1, address: 10.0.0.2}
  roleGroups: {master: [m1], etcd: [m1], worker: [w1]}
  kubernetes:
    containerRuntime:
      type: containerd
      version: "1.7.22"
"""


@dataclass
class Ctx:
    config: Cluster

    def hosts_with_role(self, role: str) -> Sequence[str]:
        return [h.name for h in self.config.hosts_in_role(role)]

    def facts(self, host: str) -> Mapping[str, object]:
        return {}


def cluster(extra: str = "", *, runtime: str = "containerd") -> Cluster:
    text = (
        BASE
        if runtime == "containerd"
        else BASE.replace('type: containerd\n      version: "1.7.22"', f"type: {runtime}")
    )
    return load_text(text + extra, source="t.yaml").cluster


def stock(artifacts: Path, c: Cluster, *, crictl: bool = False) -> None:
    runtime = containerd_runtime(c)
    assert runtime is not None
    v = RuntimeVersions(c, runtime)
    wanted = {"containerd": v.containerd, "runc": v.runc, "cni-plugins": v.cni}
    if crictl:
        wanted["crictl"] = v.crictl
    for component, version in wanted.items():
        path = release_file(artifacts, component, version, "amd64", v.zone)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(component.encode())
