"""A structural schema check of rendered Kubernetes objects (no kubernetes-validate here).

Each object must have a known apiVersion/kind, only the top-level keys of its kind, a name
(and a namespace when namespaced), and the required fields of Deployments, DaemonSets,
Services and ConfigMaps; every container must name an image with a tag. The field lists
follow the Kubernetes API reference (core/v1, apps/v1, rbac.authorization.k8s.io/v1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_COMMON = {"apiVersion", "kind", "metadata"}
KINDS: Mapping[tuple[str, str], set[str]] = {
    ("v1", "ServiceAccount"): {"secrets", "imagePullSecrets", "automountServiceAccountToken"},
    ("v1", "ConfigMap"): {"data", "binaryData", "immutable"},
    ("v1", "Service"): {"spec"},
    ("v1", "Namespace"): {"spec"},
    ("apps/v1", "Deployment"): {"spec"},
    ("apps/v1", "DaemonSet"): {"spec"},
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): {"rules", "aggregationRule"},
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): {"roleRef", "subjects"},
}
_CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
_POD_SPEC = {
    "containers", "initContainers", "volumes", "serviceAccountName", "priorityClassName",
    "hostNetwork", "dnsPolicy", "nodeSelector", "tolerations", "affinity",
    "terminationGracePeriodSeconds", "securityContext", "hostPID", "restartPolicy",
}  # fmt: skip
_CONTAINER = {
    "name", "image", "imagePullPolicy", "command", "args", "env", "envFrom", "ports",
    "resources", "securityContext", "livenessProbe", "readinessProbe", "startupProbe",
    "volumeMounts", "lifecycle", "workingDir",
}  # fmt: skip


def _workload(doc: Mapping[str, Any], where: str) -> list[str]:
    spec = doc.get("spec") or {}
    problems = []
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        problems.append(f"{where}: selector must match the template labels")
    pod = template.get("spec") or {}
    problems += [f"{where}: unknown pod field {k}" for k in pod if k not in _POD_SPEC]
    containers = pod.get("containers") or []
    if not containers:
        problems.append(f"{where}: no containers")
    for item in [*(pod.get("initContainers") or []), *containers]:
        problems += [f"{where}: unknown container field {k}" for k in item if k not in _CONTAINER]
        image = str(item.get("image") or "")
        if not item.get("name") or ":" not in image.rsplit("/", 1)[-1]:
            problems.append(f"{where}: container without name or tagged image")
    return problems


def _kind_fields(doc: Mapping[str, Any], where: str) -> list[str]:
    kind = doc["kind"]
    if kind in ("Deployment", "DaemonSet"):
        return _workload(doc, where)
    if kind == "Service":
        ports = (doc.get("spec") or {}).get("ports") or []
        if not ports or not all(isinstance(p.get("port"), int) for p in ports):
            return [f"{where}: a Service needs ports with integer port numbers"]
    if kind == "ConfigMap":
        data = doc.get("data") or {}
        if not data or not all(isinstance(v, str) for v in data.values()):
            return [f"{where}: ConfigMap data must be non-empty strings"]
    if kind == "ClusterRoleBinding" and not doc.get("roleRef"):
        return [f"{where}: ClusterRoleBinding without roleRef"]
    return []


def object_problems(doc: Mapping[str, Any]) -> list[str]:
    """Every structural problem of one object (empty when it passes)."""
    key = (str(doc.get("apiVersion")), str(doc.get("kind")))
    if key not in KINDS:
        return [f"unknown apiVersion/kind {key}"]
    meta = doc.get("metadata") or {}
    where = f"{key[1]} {meta.get('name')}"
    problems = [f"{where}: unknown top-level key {k}" for k in doc if k not in _COMMON | KINDS[key]]
    if not meta.get("name"):
        problems.append(f"{where}: no metadata.name")
    if key[1] not in _CLUSTER_SCOPED and not meta.get("namespace"):
        problems.append(f"{where}: no metadata.namespace")
    return problems + _kind_fields(doc, where)
