"""A plan context and a stocked artifacts folder for the CNI, DNS, add-on and check tests."""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import load_text
from kubexm.resource.bundle_manifest import chart_member
from kubexm.resource.catalog import bom_chart
from kubexm.resource.resolve import file_artifact
from kubexm.runtime.workdir import WorkDir

STANDINS = Path(__file__).resolve().parents[1] / "e2e" / "standins" / "manifests"
BASE = """apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: t}
spec:
  global: {user: root, password: pw}
  hosts:
    - {name: m1, address: 10.0.0.1}
    - {name: m2, address: 10.0.0.2}
    - {name: w1, address: 10.0.0.3}
    - {name: e1, address: 10.0.0.4}
  roleGroups: {master: [m1, m2], etcd: [e1], worker: [w1]}
"""


def cluster(extra: str = "") -> Cluster:
    return load_text(BASE + extra, source="t.yaml").cluster


@dataclass
class Ctx:
    config: Cluster
    root: Path

    @property
    def work_dir(self) -> WorkDir:
        return WorkDir(self.root)

    def hosts_with_role(self, role: str) -> list[str]:
        return [h.name for h in self.config.hosts_in_role(role)]

    def facts(self, host: str) -> Mapping[str, object]:
        return {"arch": "amd64"}


def chart_archive(path: Path, name: str, version: str) -> Path:
    """A minimal chart archive: ``<name>/Chart.yaml``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = f"apiVersion: v2\nname: {name}\nversion: {version}\n".encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(f"{name}/Chart.yaml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def stock(root: Path, c: Cluster) -> Path:
    """Put the stand-in CNI manifests, the cilium chart and helm into ``root``'s artifacts."""
    artifacts = WorkDir(root).artifacts
    versions = {"calico-manifest": "3.31.7", "flannel-manifest": "0.28.4", "helm": "3.18.4"}
    sources = {"calico-manifest": "calico.yaml", "flannel-manifest": "kube-flannel.yml"}
    for component, version in versions.items():
        path = artifacts / file_artifact(component, version, "amd64").cache_path
        path.parent.mkdir(parents=True, exist_ok=True)
        if component in sources:
            shutil.copy(STANDINS / sources[component], path)
        else:
            path.write_bytes(b"helm tarball")
    cilium = bom_chart("cilium", "cni:cilium")
    chart_archive(artifacts / chart_member(cilium), cilium.name, cilium.version)
    return artifacts
