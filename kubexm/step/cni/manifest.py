"""Typed edits on the documents of an upstream Kubernetes manifest.

The CNI manifests come from upstream releases; kubexm parses them (``load_yaml_all``), finds
objects by kind and name and changes fields in place, so an upstream change of layout fails
loudly (``ArtifactError`` naming the missing object) instead of being silently skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from kubexm.errors import ArtifactError
from kubexm.util.yamlio import YAMLSyntaxError, dump_yaml_all, load_yaml_all

Doc = MutableMapping[str, Any]


def parse_manifest(text: str, source: str) -> list[Doc]:
    """The objects of a manifest stream; ArtifactError when it does not parse or holds no
    Kubernetes object (every document must be a mapping with ``kind``)."""
    try:
        docs = load_yaml_all(text, source=source)
    except YAMLSyntaxError as exc:
        raise ArtifactError(f"{source} is not valid YAML: {exc}", _REFETCH) from exc
    if not docs or not all(isinstance(d, MutableMapping) and "kind" in d for d in docs):
        raise ArtifactError(f"{source} holds no Kubernetes objects", _REFETCH)
    return docs


_REFETCH = "remove the file from the work dir's artifacts and run 'kubexm download' again"


def dump_manifest(docs: list[Doc]) -> str:
    """The documents as one ``---``-separated manifest."""
    return dump_yaml_all(docs)


def find_object(docs: list[Doc], kind: str, name: str, source: str) -> Doc:
    """The object ``kind``/``name``; ArtifactError when the manifest lacks it."""
    for doc in docs:
        if doc.get("kind") == kind and (doc.get("metadata") or {}).get("name") == name:
            return doc
    raise ArtifactError(
        f"{source} has no {kind} {name!r}; kubexm cannot adapt this manifest",
        f"use the manifest version of the BOM; {_REFETCH}",
    )


def pod_spec(workload: Doc) -> Doc:
    """``spec.template.spec`` of a Deployment or DaemonSet."""
    spec: Doc = workload["spec"]["template"]["spec"]
    return spec


def containers(docs: list[Doc]) -> Iterator[Doc]:
    """Every container and init container of every workload in the manifest."""
    for doc in docs:
        template = (doc.get("spec") or {}).get("template")
        if not isinstance(template, Mapping):
            continue
        spec = template.get("spec") or {}
        for key in ("initContainers", "containers"):
            yield from spec.get(key) or []


def container(workload: Doc, name: str, source: str) -> Doc:
    """The container ``name`` of a workload; ArtifactError when it has none of that name."""
    for item in pod_spec(workload).get("containers") or []:
        if item.get("name") == name:
            found: Doc = item
            return found
    kind, obj = workload.get("kind"), workload["metadata"]["name"]
    raise ArtifactError(f"{source}: {kind} {obj!r} has no container {name!r}", _REFETCH)


def set_env(item: Doc, name: str, value: str) -> None:
    """Container env ``name`` holds the literal ``value`` (replaced, or appended)."""
    env = item.setdefault("env", [])
    for entry in env:
        if entry.get("name") == name:
            entry.pop("valueFrom", None)
            entry["value"] = value
            return
    env.append({"name": name, "value": value})


def image_key(ref: str) -> str:
    """The image's last path element without tag or digest (``quay.io/calico/node:v3`` ->
    ``node``): the part kept by every mirror and registry rewrite."""
    last = ref.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def rewrite_images(docs: list[Doc], images: Mapping[str, str], source: str) -> None:
    """Point every container at its image of the cluster's image map (``image_key`` ->
    reference after zone mirror and private registry, at the BOM tag).

    ArtifactError for a container image the map lacks: it would not be in an offline bundle.
    """
    for item in containers(docs):
        key = image_key(str(item.get("image", "")))
        if key not in images:
            raise ArtifactError(
                f"{source}: image {item.get('image')!r} is not among the images kubexm "
                "resolved for this CNI",
                f"use the manifest version of the BOM; {_REFETCH}",
            )
        item["image"] = images[key]
