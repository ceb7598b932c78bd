"""A plan context over a binary-mode config and a work dir with fake release files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import load_text
from kubexm.plan import Fragment
from kubexm.resource.resolve import file_artifact
from kubexm.runtime.workdir import WorkDir

BINARIES = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
    "kubelet",
    "kube-proxy",
)

CONFIG = """\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: demo}
spec:
  global: {user: ops, privateKeyPath: /keys/id}
  hosts:
    - {name: m1, address: 10.0.0.11}
    - {name: m2, address: 10.0.0.12, arch: arm64}
    - {name: w1, address: 10.0.0.21, labels: {disk: ssd}}
  roleGroups:
    master: [m1, m2]
    etcd: [m1, m2, w1]
    worker: [w1]
  kubernetes: {type: kubexm, version: v1.36.4}
"""


@dataclass
class Ctx:
    config: Cluster
    work_dir: WorkDir

    def hosts_with_role(self, role: str) -> Sequence[str]:
        return [h.name for h in self.config.hosts_in_role(role)]

    def facts(self, host: str) -> Mapping[str, object]:
        return {}


def ctx_for(text: str, tmp_path: Path, *, binaries: Sequence[str] = BINARIES) -> Ctx:
    """``text`` loaded, with every release file of ``binaries`` for amd64 and arm64."""
    work = WorkDir(tmp_path / "demo")
    for name in binaries:
        for arch in ("amd64", "arm64"):
            path = work.artifacts / file_artifact(name, "1.36.4", arch).cache_path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"{name} {arch}".encode())
    return Ctx(load_text(text, source="t.yaml").cluster, work)


def nodes_of(fragment: Fragment | None) -> dict[str, object]:
    """Node id -> step of a planned fragment."""
    assert fragment is not None
    return {n.id: n.step for n in fragment}
