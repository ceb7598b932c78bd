"""OS package sets per OS and arch."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubexm.config import validate_data
from kubexm.errors import ArtifactError
from kubexm.resource import packages
from kubexm.resource.scope import Scope

DATA: dict[str, Any] = {
    "apiVersion": "kubexm.io/v1alpha1",
    "kind": "Cluster",
    "metadata": {"name": "p"},
    "spec": {
        "global": {"privateKeyPath": "/k"},
        "hosts": [
            {"name": "m1", "address": "10.0.0.1"},
            {"name": "m2", "address": "10.0.0.2"},
            {"name": "w1", "address": "10.0.0.3", "arch": "arm64"},
        ],
        "roleGroups": {"master": ["m1", "m2"], "etcd": ["m1"], "worker": ["w1"]},
        "kubernetes": {"version": "v1.36.4"},
    },
}
BASE_DEBIAN = {
    "chrony",
    "conntrack",
    "curl",
    "ebtables",
    "ethtool",
    "ipset",
    "ipvsadm",
    "socat",
    "tar",
}


def _scope(**spec: Any) -> Scope:
    data = copy.deepcopy(DATA)
    data["spec"].update(spec)
    return Scope.build(validate_data(data).cluster, "", None)


def _kh() -> Scope:
    return _scope(
        hosts=[*DATA["spec"]["hosts"], {"name": "lb1", "address": "10.0.0.4"}],
        roleGroups={"master": ["m1", "m2"], "worker": ["w1"], "loadbalancer": ["lb1"]},
        controlPlaneEndpoint={"address": "10.0.0.100", "externalLoadBalancer": "kubexm-kh"},
        etcd={"type": "kubeadm"},
    )


def test_without_facts_or_package_manager_both_families_are_listed() -> None:
    sets = packages.os_package_sets(_scope())

    assert [(s.os_id, s.os_version, s.arch) for s in sets] == [
        ("debian", "", "amd64"),
        ("debian", "", "arm64"),
        ("rhel", "", "amd64"),
        ("rhel", "", "arm64"),
    ]
    assert set(sets[0].packages) == BASE_DEBIAN
    assert "conntrack-tools" in sets[2].packages


def test_package_manager_picks_the_family_and_adds_configured_packages() -> None:
    sets = packages.os_package_sets(_scope(system={"packageManager": "yum", "rpms": ["vim"]}))

    assert {s.os_id for s in sets} == {"rhel"}
    assert all("vim" in s.packages for s in sets)


def test_gathered_os_is_used_per_host() -> None:
    targets = {"m1": ("ubuntu", "24.04"), "m2": ("rocky", "9.4"), "w1": ("ubuntu", "24.04")}

    sets = packages.os_package_sets(_scope(), targets)

    assert [(s.os_id, s.os_version, s.arch) for s in sets] == [
        ("rocky", "9.4", "amd64"),
        ("ubuntu", "24.04", "amd64"),
        ("ubuntu", "24.04", "arm64"),
    ]


def test_load_balancer_hosts_get_keepalived_and_haproxy() -> None:
    targets = {name: ("debian", "12") for name in ("m1", "m2", "w1")}
    targets["lb1"] = ("almalinux", "9")

    sets = packages.os_package_sets(_kh(), targets)

    by_os = {s.os_id: set(s.packages) for s in sets}
    assert {"keepalived", "haproxy"} <= by_os["almalinux"]
    assert not {"keepalived", "haproxy"} & by_os["debian"]


def test_unknown_os_is_artifact_error() -> None:
    with pytest.raises(ArtifactError, match="'plan9'") as caught:
        packages.os_package_sets(_scope(), {"m1": ("plan9", "4")})
    assert "packageManager" in caught.value.hint


@pytest.mark.parametrize(
    ("os_id", "family"),
    [("ubuntu", "debian"), ("debian", "debian"), ("rhel", "rhel"), ("ol", "rhel")],
)
def test_family_of(os_id: str, family: str) -> None:
    assert packages.family_of(os_id) == family


def test_package_names_per_family() -> None:
    assert packages.package_names("debian", ["conntrack", "nginx-stream"]) == [
        "conntrack",
        "libnginx-mod-stream",
    ]
    assert packages.package_names("rhel", ["conntrack"]) == ["conntrack-tools"]
    assert packages.load_package_table() is packages.load_package_table()
