"""Schema check of rendered Kubernetes objects with kubernetes-validate's strict schemas.

Each object is checked against the OpenAPI-derived JSON schema of its apiVersion/kind for one
Kubernetes minor, in strict mode: an unknown field is an error, as ``kubectl apply
--validate=strict`` would make it. kubernetes-validate's own ``validate()`` stops at the first
error and re-reads the 1.6 MB ``_definitions.json`` on every call, so this module builds the
validators from the library's schema files itself and keeps one per minor and kind.

Kinds kubernetes-validate has no schema for get a small schema of their own below, written
from the Go types of k8s.io/apiserver: ``audit.k8s.io/v1`` Policy (the API server's
``--audit-policy-file``) and ``apiserver.config.k8s.io/v1`` EncryptionConfiguration
(``--encryption-provider-config``); both are files the API server reads, not API objects.
Custom resources are skipped when their CustomResourceDefinition is in the same manifest:
their schema is that CRD's, which only an API server applies (the CRD itself is checked).
Any other kind without a schema is a problem, so nothing passes unchecked.

A few rules no JSON schema can state are checked besides (``rule_problems``): a workload's
selector must match its pod template's labels (the API server refuses it otherwise), and two
of kubexm's own: every namespaced object names its namespace (never the kubectl context's),
and every image is pinned by tag or digest (the BOM's; an offline bundle holds no other).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource

_SCHEMAS = resources.files("kubernetes_validate") / "kubernetes-json-schema"

_STRINGS = {"type": "array", "items": {"type": "string"}}
_STAGES = {
    "type": "array",
    "items": {"enum": ["RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"]},
}
_TYPE_META = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}}
_AUDIT_RULE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["level"],
    "properties": {
        "level": {"enum": ["None", "Metadata", "Request", "RequestResponse"]},
        "users": _STRINGS,
        "userGroups": _STRINGS,
        "verbs": _STRINGS,
        "resources": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "group": {"type": "string"},
                    "resources": _STRINGS,
                    "resourceNames": _STRINGS,
                },
            },
        },
        "namespaces": _STRINGS,
        "nonResourceURLs": _STRINGS,
        "omitStages": _STAGES,
        "omitManagedFields": {"type": "boolean"},
    },
    # k8s.io/apiserver/pkg/apis/audit/validation: a rule is for resources or for URLs.
    "dependentSchemas": {
        "nonResourceURLs": {
            "not": {"anyOf": [{"required": ["resources"]}, {"required": ["namespaces"]}]}
        }
    },
}


def _keys(secret: Mapping[str, Any]) -> dict[str, Any]:
    key = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "secret"],
        "properties": {"name": {"type": "string", "minLength": 1}, "secret": secret},
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["keys"],
        "properties": {"keys": {"type": "array", "minItems": 1, "items": key}},
    }


# Base64 of an AES key (16, 24 or 32 bytes), and of secretbox's 32-byte key.
_B64_AES = r"^([A-Za-z0-9+/]{22}==|[A-Za-z0-9+/]{32}|[A-Za-z0-9+/]{43}=)$"
_AES = _keys({"type": "string", "pattern": _B64_AES})
_SECRETBOX = _keys({"type": "string", "pattern": r"^[A-Za-z0-9+/]{43}=$"})
#: (apiVersion, kind) -> schema, for the kinds kubernetes-validate lacks (see the docstring).
OWN_SCHEMAS: Mapping[tuple[str, str], Mapping[str, Any]] = {
    ("audit.k8s.io/v1", "Policy"): {
        "type": "object",
        "additionalProperties": False,
        "required": ["rules"],
        "properties": {
            **_TYPE_META,
            "metadata": {"type": "object"},
            # The API server refuses a policy file without rules.
            "rules": {"type": "array", "minItems": 1, "items": _AUDIT_RULE},
            "omitStages": _STAGES,
            "omitManagedFields": {"type": "boolean"},
        },
    },
    ("apiserver.config.k8s.io/v1", "EncryptionConfiguration"): {
        "type": "object",
        "additionalProperties": False,
        "required": ["resources"],
        "properties": {
            **_TYPE_META,
            "resources": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["resources", "providers"],
                    "properties": {
                        "resources": {**_STRINGS, "minItems": 1},
                        "providers": {
                            "type": "array",
                            "minItems": 1,
                            # Exactly one provider per entry (identity has no settings).
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "minProperties": 1,
                                "maxProperties": 1,
                                "properties": {
                                    "aesgcm": _AES,
                                    "aescbc": _AES,
                                    "secretbox": _SECRETBOX,
                                    "identity": {"type": "object", "maxProperties": 0},
                                    "kms": {"type": "object"},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def schema_minors() -> list[str]:
    """The Kubernetes minors the installed kubernetes-validate has strict schemas for."""
    found = (re.fullmatch(r"v(\d+\.\d+)\.0-local-strict", p.name) for p in _SCHEMAS.iterdir())
    return sorted((m[1] for m in found if m), key=lambda v: tuple(map(int, v.split("."))))


def _schema_dir(minor: str) -> Any:
    # Exact minors only: a neighbour's schema would accept fields the cluster rejects.
    folder = _SCHEMAS / f"v{minor}.0-local-strict"
    if not folder.is_dir():
        raise LookupError(
            f"kubernetes-validate has no schemas for Kubernetes {minor} (it has "
            f"{', '.join(schema_minors())}): raise its lower bound in pyproject.toml"
        )
    return folder


@functools.cache
def _registry(minor: str) -> Registry[Any]:
    """Every shared definition of ``minor``, loaded once."""
    text = (_schema_dir(minor) / "_definitions.json").read_text(encoding="utf-8")
    return Resource.from_contents(json.loads(text)) @ Registry()


def _schema_file(api_version: str, kind: str) -> str:
    # kubernetes-validate's file naming: rbac.authorization.k8s.io/v1 -> rbac-v1.
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{api}.json"


@functools.cache
def validator(minor: str, api_version: str, kind: str) -> Draft202012Validator | None:
    """The strict validator of ``api_version``/``kind`` for Kubernetes ``minor`` (None when
    neither kubernetes-validate nor ``OWN_SCHEMAS`` has a schema for it)."""
    own = OWN_SCHEMAS.get((api_version, kind))
    if own is not None:
        return Draft202012Validator(own)
    path = _schema_dir(minor) / _schema_file(api_version, kind)
    if not path.is_file():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=_registry(minor))


def _where(doc: Mapping[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    name = meta.get("name", "<no name>")
    namespace = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{doc.get('apiVersion')} {doc.get('kind')} {namespace}{name}"


def _path(error: ValidationError) -> str:
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return text.lstrip(".") or "<top>"


def object_problems(doc: Mapping[str, Any], minor: str) -> list[str]:
    """Every schema and rule problem of one object for Kubernetes ``minor``, each naming the
    object and the field path (``apps/v1 DaemonSet kube-system/x: spec.template...: <why>``)."""
    check = validator(minor, str(doc.get("apiVersion")), str(doc.get("kind")))
    if check is None:
        return [f"{_where(doc)}: no schema for this apiVersion/kind in Kubernetes {minor}"]
    errors = sorted(check.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{_where(doc)}: {_path(e)}: {e.message}" for e in errors] + rule_problems(doc)


#: Cluster-scoped kinds (every other API object must name its namespace).
CLUSTER_SCOPED = frozenset(
    {
        "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
        "PriorityClass", "StorageClass", "IngressClass", "RuntimeClass", "APIService",
        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    }
)  # fmt: skip
_WORKLOADS = frozenset({"Deployment", "DaemonSet", "StatefulSet", "ReplicaSet"})


def _pod_spec(doc: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The pod spec of a Pod or a workload, with its path."""
    spec = doc.get("spec") or {}
    if doc.get("kind") == "Pod":
        return "spec", spec
    return "spec.template.spec", (spec.get("template") or {}).get("spec") or {}


def rule_problems(doc: Mapping[str, Any]) -> list[str]:
    """The problems of the rules beside the schema (see the module docstring)."""
    kind, meta, where = doc.get("kind"), doc.get("metadata") or {}, _where(doc)
    if (doc.get("apiVersion"), kind) in OWN_SCHEMAS:
        return []  # files the API server reads, not objects in a namespace
    problems = []
    if kind not in CLUSTER_SCOPED and not meta.get("namespace"):
        problems.append(f"{where}: metadata.namespace: a namespaced object must name it")
    if kind in _WORKLOADS:
        spec = doc.get("spec") or {}
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            problems.append(f"{where}: spec.selector: does not match the template's labels")
    path, pod = _pod_spec(doc)
    for field in ("initContainers", "containers"):
        for index, item in enumerate(pod.get(field) or []):
            image = str(item.get("image") or "")
            if "@" not in image and ":" not in image.rsplit("/", 1)[-1]:
                at = f"{path}.{field}[{index}].image"
                problems.append(f"{where}: {at}: {image!r} has no tag")
    return problems


def _custom_kinds(docs: Iterable[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """(group, kind) of every CustomResourceDefinition among ``docs``."""
    return {
        (doc["spec"]["group"], doc["spec"]["names"]["kind"])
        for doc in docs
        if doc.get("kind") == "CustomResourceDefinition"
    }


class _KubeLoader(yaml.CSafeLoader):
    """YAML as the API server's clients read it (sigs.k8s.io/yaml, go-yaml v2): YAML 1.1, so
    an unquoted ``on`` or ``yes`` is a boolean, but a date stays text."""


_KubeLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def manifest_problems(text: str, minor: str) -> list[str]:
    """``object_problems`` of every object of a manifest, skipping the custom resources of
    the manifest's own CustomResourceDefinitions (see the module docstring)."""
    docs = [doc for doc in yaml.load_all(text, Loader=_KubeLoader) if doc is not None]
    custom = _custom_kinds(docs)
    problems: list[str] = []
    for doc in docs:
        group = str(doc.get("apiVersion")).rpartition("/")[0]
        if (group, doc.get("kind")) not in custom:
            problems += object_problems(doc, minor)
    return problems
