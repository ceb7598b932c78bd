"""The kubeadm field tables: what each API version accepts, and what it no longer does."""

from __future__ import annotations

from typing import Any

import pytest

from kubexm.step.kubeadm.schema import KUBELET_API, V1BETA3, V1BETA4, schema_errors


def cluster(api: str, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": api, "kind": "ClusterConfiguration", "clusterName": "c", **extra}


@pytest.mark.parametrize("api", [V1BETA3, V1BETA4])
def test_a_plain_cluster_configuration_is_valid(api: str) -> None:
    assert schema_errors(cluster(api, networking={"podSubnet": "10.244.0.0/16"})) == []


def test_timeout_for_control_plane_was_removed_in_v1beta4() -> None:
    doc = {"apiServer": {"timeoutForControlPlane": "4m0s"}}
    assert schema_errors(cluster(V1BETA3, **doc)) == []
    assert schema_errors(cluster(V1BETA4, **doc)) == [
        "ClusterConfiguration.apiServer.timeoutForControlPlane: unknown field"
    ]


def test_extra_args_are_a_map_in_v1beta3_and_a_list_in_v1beta4() -> None:
    as_map = {"scheduler": {"extraArgs": {"profiling": "false"}}}
    as_list = {"scheduler": {"extraArgs": [{"name": "profiling", "value": "false"}]}}
    assert schema_errors(cluster(V1BETA3, **as_map)) == []
    assert schema_errors(cluster(V1BETA4, **as_list)) == []
    assert schema_errors(cluster(V1BETA4, **as_map)) != []
    assert schema_errors(cluster(V1BETA3, **as_list)) != []


def test_discovery_timeout_moved_to_timeouts_in_v1beta4() -> None:
    join = {"kind": "JoinConfiguration", "discovery": {"timeout": "5m0s"}}
    assert schema_errors({"apiVersion": V1BETA3, **join}) == []
    assert schema_errors({"apiVersion": V1BETA4, **join}) != []
    timeouts = {"kind": "JoinConfiguration", "timeouts": {"discovery": "5m0s"}}
    assert schema_errors({"apiVersion": V1BETA4, **timeouts}) == []
    assert schema_errors({"apiVersion": V1BETA3, **timeouts}) != []


@pytest.mark.parametrize(
    ("doc", "error"),
    [
        (cluster(V1BETA4, etcd={"local": {"dataDir": 5}}), "etcd.local.dataDir: not a valid str"),
        (cluster(V1BETA4, apiServer={"certSANs": "a"}), "apiServer.certSANs: not a valid strs"),
        (cluster(V1BETA4, networking=["x"]), "networking: not an object"),
        (cluster(V1BETA4, unknown=1), "unknown: unknown field"),
        (
            {"apiVersion": V1BETA4, "kind": "InitConfiguration", "bootstrapTokens": {}},
            "bootstrapTokens: not a list",
        ),
        (
            {
                "apiVersion": V1BETA4,
                "kind": "InitConfiguration",
                "localAPIEndpoint": {"bindPort": True},
            },
            "localAPIEndpoint.bindPort: not a valid int",
        ),
        ({"apiVersion": KUBELET_API, "kind": "KubeletConfiguration", "maxpods": 1}, "maxpods"),
        ({"apiVersion": "kubeadm.k8s.io/v1beta2", "kind": "InitConfiguration"}, "no such"),
    ],
    ids=["type", "strs", "object", "unknown", "list", "bool-not-int", "kubelet", "v1beta2"],
)
def test_schema_errors_name_the_field(doc: dict[str, Any], error: str) -> None:
    errors = schema_errors(doc)
    assert any(error in e for e in errors), errors


def test_unsafe_skip_ca_verification_is_a_known_field_kubexm_never_sets() -> None:
    doc = {
        "apiVersion": V1BETA4,
        "kind": "JoinConfiguration",
        "discovery": {"bootstrapToken": {"unsafeSkipCAVerification": False}},
    }
    assert schema_errors(doc) == []
