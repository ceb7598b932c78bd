"""Typed edits on manifest documents: parse, find, env, image keys and rewrites."""

from __future__ import annotations

import pytest

from kubexm.errors import ArtifactError
from kubexm.step.cni.manifest import (
    container,
    containers,
    dump_manifest,
    find_object,
    image_key,
    parse_manifest,
    pod_spec,
    rewrite_images,
    set_env,
)

TEXT = """---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: kube-system}
data: {a: "1"}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds, namespace: kube-system}
spec:
  template:
    spec:
      initContainers: [{name: init, image: "quay.io/x/cni:v1"}]
      containers:
        - name: main
          image: docker.io/x/node:v1
          env: [{name: A, valueFrom: {configMapKeyRef: {name: cfg, key: a}}}]
"""


def test_parse_keeps_every_object_and_drops_empty_documents() -> None:
    docs = parse_manifest(TEXT + "---\n", "m.yaml")

    assert [d["kind"] for d in docs] == ["ConfigMap", "DaemonSet"]
    assert "kind: DaemonSet" in dump_manifest(docs)


@pytest.mark.parametrize("text", ["a: [", "just text", "- 1\n"], ids=["syntax", "scalar", "list"])
def test_parse_rejects_what_is_not_a_manifest(text: str) -> None:
    with pytest.raises(ArtifactError, match=r"m.yaml"):
        parse_manifest(text, "m.yaml")


def test_find_object_and_container_name_the_missing_part() -> None:
    docs = parse_manifest(TEXT, "m.yaml")
    ds = find_object(docs, "DaemonSet", "ds", "m.yaml")

    assert container(ds, "main", "m.yaml")["image"] == "docker.io/x/node:v1"
    assert pod_spec(ds)["initContainers"][0]["name"] == "init"
    with pytest.raises(ArtifactError, match=r"no ConfigMap 'other'"):
        find_object(docs, "ConfigMap", "other", "m.yaml")
    with pytest.raises(ArtifactError, match=r"no container 'sidecar'"):
        container(ds, "sidecar", "m.yaml")


def test_set_env_replaces_a_reference_and_appends_a_new_name() -> None:
    item = parse_manifest(TEXT, "m")[1]["spec"]["template"]["spec"]["containers"][0]

    set_env(item, "A", "x")
    set_env(item, "B", "y")

    assert [dict(e) for e in item["env"]] == [
        {"name": "A", "value": "x"},
        {"name": "B", "value": "y"},
    ]


@pytest.mark.parametrize(
    ("ref", "key"),
    [
        ("quay.io/calico/node:v3.31.7", "node"),
        ("reg:5000/kx/node:v3", "node"),
        ("node", "node"),
        ("docker.io/flannel/flannel@sha256:ab", "flannel"),
    ],
)
def test_image_key_is_the_last_path_element_without_tag(ref: str, key: str) -> None:
    assert image_key(ref) == key


def test_rewrite_images_points_every_container_at_the_map() -> None:
    docs = parse_manifest(TEXT, "m")

    rewrite_images(docs, {"cni": "reg/cni:v2", "node": "reg/node:v2"}, "m")

    assert [c["image"] for c in containers(docs)] == ["reg/cni:v2", "reg/node:v2"]


def test_rewrite_images_refuses_an_image_outside_the_map() -> None:
    with pytest.raises(ArtifactError, match=r"docker.io/x/node:v1"):
        rewrite_images(parse_manifest(TEXT, "m"), {"cni": "reg/cni:v2"}, "m")
