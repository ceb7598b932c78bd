"""Shared pieces of the Kubernetes step tests: configs per version, golden files."""

from __future__ import annotations

import os
from pathlib import Path

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.common.versions import KUBERNETES_DEFAULT_PATCH, SUPPORTED_KUBERNETES_MINORS
from kubexm.config import load_text

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "kubernetes"

#: Every supported minor with its default patch, as the BOM lists them.
VERSIONS = [f"v{KUBERNETES_DEFAULT_PATCH[m]}" for m in SUPPORTED_KUBERNETES_MINORS]

HEAD = """\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: demo}
spec:
  global: {user: ops, privateKeyPath: /keys/id}
  hosts:
    - {name: m1, address: 10.0.0.11}
    - {name: m2, address: 10.0.0.12}
    - name: w1
      address: 10.0.0.21
      labels: {disk: ssd, node-role.kubernetes.io/gpu: "", topology.kubernetes.io/zone: z1}
      taints: [{key: dedicated, value: db, effect: NoSchedule}]
  roleGroups:
    master: [m1, m2]
    etcd: [m1, m2, w1]
    worker: [m2, w1]
"""


def cluster(
    kubernetes: str = "", version: str = "v1.36.4", *, extra: str = "", unsupported: bool = False
) -> Cluster:
    """The three-host config with ``kubernetes`` settings (flow mapping body) and ``extra``
    spec lines; binary mode unless ``kubernetes`` sets the type."""
    body = ", ".join(x for x in ("type: kubexm", f"version: {version}", kubernetes) if x)
    if "type:" in kubernetes:
        body = ", ".join(x for x in (f"version: {version}", kubernetes) if x)
    text = HEAD + f"  kubernetes: {{{body}}}\n" + extra
    return load_text(text, source="t.yaml", allow_unsupported=unsupported).cluster


def golden(name: str, text: str) -> None:
    """Compare with tests/golden/kubernetes/<name>; KUBEXM_UPDATE_GOLDEN=1 rewrites on purpose."""
    path = GOLDEN / name
    if os.environ.get("KUBEXM_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
