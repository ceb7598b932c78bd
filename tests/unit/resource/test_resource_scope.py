"""Scope: versions in force and arches per host group."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubexm.config import validate_data
from kubexm.errors import ArtifactError
from kubexm.resource.scope import Scope

DATA: dict[str, Any] = {
    "apiVersion": "kubexm.io/v1alpha1",
    "kind": "Cluster",
    "metadata": {"name": "s"},
    "spec": {
        "global": {"privateKeyPath": "/k"},
        "hosts": [
            {"name": "m1", "address": "10.0.0.1"},
            {"name": "w1", "address": "10.0.0.2", "arch": "arm64"},
            {"name": "r1", "address": "10.0.0.3", "arch": "arm64"},
        ],
        "roleGroups": {
            "master": ["m1"],
            "etcd": ["m1"],
            "worker": ["m1", "w1"],
            "registry": ["r1"],
        },
        "kubernetes": {"version": "v1.35.8"},
    },
}


def _scope(arches: list[str] | None = None, **kubernetes: Any) -> Scope:
    data = copy.deepcopy(DATA)
    data["spec"]["kubernetes"].update(kubernetes)
    return Scope.build(validate_data(data).cluster, "", arches)


def test_build_takes_bom_defaults_of_the_minor() -> None:
    scope = _scope()

    assert scope.versions["crio"] == "1.35.6"
    assert scope.kubernetes_version == "1.35.8"
    assert scope.arch_override is None


def test_version_prefers_config_override_without_v() -> None:
    scope = _scope()

    assert scope.version("etcd") == "3.6.14"
    assert scope.version("etcd", "v3.6.1") == "3.6.1"


def test_nodes_are_masters_and_workers_once() -> None:
    scope = _scope()

    assert [h.name for h in scope.nodes] == ["m1", "w1"]
    assert [h.name for h in scope.masters] == ["m1"]
    assert [h.name for h in scope.workers] == ["m1", "w1"]


def test_arches_of_hosts_and_override() -> None:
    scope = _scope()
    assert scope.arches_of(scope.nodes) == ("amd64", "arm64")
    assert scope.arches_of(scope.masters) == ("amd64",)
    assert scope.all_arches == ("amd64", "arm64")

    forced = _scope(arches=["aarch64", "arm64"])
    assert forced.arches_of(forced.masters) == ("arm64",)
    assert forced.arches_of([]) == ()


def test_binary_mode_flag() -> None:
    assert not _scope().is_binary_mode
    assert _scope(type="kubexm").is_binary_mode


def test_unsupported_minor_is_artifact_error() -> None:
    data = copy.deepcopy(DATA)
    data["spec"]["kubernetes"]["version"] = "v1.31.0"
    cluster = validate_data(data, allow_unsupported=True).cluster

    with pytest.raises(ArtifactError, match=r"1\.31"):
        Scope.build(cluster, "", None)
