"""lab_cluster_yaml: roles in host order, load balancers, bundle versions, machine limits;
every config it writes validates."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from kubexm.config import load_text
from kubexm.errors import LabError
from kubexm.lab import lab
from kubexm.lab.cluster_config import (
    VIP,
    LabTopology,
    MachineLimits,
    bundle_versions,
    lab_cluster_yaml,
)
from kubexm.lab.layout import LabState, Paths

NO_LIMITS = MachineLimits(cgroup_v1=False, no_ipvs=False)


def state_of(tmp_path: Path, count: int, password: str = "pw") -> LabState:
    return LabState("bookworm", lab.planned_hosts(Paths(tmp_path), count, password))


def doc_of(text: str) -> dict[str, Any]:
    load_text(text, source="lab.yaml")  # raises ConfigError when it does not validate
    data = YAML(typ="safe").load(text)
    assert isinstance(data, dict)
    return data


def test_one_master_config_lists_hosts_masters_first(tmp_path: Path) -> None:
    doc = doc_of(lab_cluster_yaml(state_of(tmp_path, 3), LabTopology(masters=1)))

    spec = doc["spec"]
    assert spec["hosts"][0] == {
        "name": "kxnode1",
        "address": "10.77.0.11",
        "internalAddress": "10.77.0.11",
        "port": 22,
        "user": "root",
        "privateKeyPath": str(tmp_path / "secrets" / "id_ed25519"),
    }
    assert spec["roleGroups"] == {
        "master": ["kxnode1"],
        "etcd": ["kxnode1"],
        "worker": ["kxnode2", "kxnode3"],
    }
    assert "controlPlaneEndpoint" not in spec and "preflight" not in spec


def test_sudo_user_logs_in_by_key_with_a_sudo_password(tmp_path: Path) -> None:
    state = state_of(tmp_path, 3, 'p"w:1')

    doc = doc_of(lab_cluster_yaml(state, LabTopology(masters=3, sudo_user=True)))

    host = doc["spec"]["hosts"][2]
    assert host["user"] == "kxadmin" and host["sudoPassword"] == 'p"w:1'
    assert "password" not in host
    assert doc["spec"]["roleGroups"]["worker"] == []


def test_kubexm_kh_puts_load_balancer_hosts_after_masters_with_the_vip(tmp_path: Path) -> None:
    topo = LabTopology(masters=3, load_balancers=2, lb="kubexm-kh", kubernetes_type="kubexm")

    doc = doc_of(lab_cluster_yaml(state_of(tmp_path, 7), topo))

    spec = doc["spec"]
    assert spec["roleGroups"]["loadbalancer"] == ["kxnode4", "kxnode5"]
    assert spec["roleGroups"]["worker"] == ["kxnode6", "kxnode7"]
    assert spec["controlPlaneEndpoint"] == {"address": VIP, "externalLoadBalancer": "kubexm-kh"}
    assert spec["kubernetes"]["type"] == "kubexm"


def test_cni_choice_is_written(tmp_path: Path) -> None:
    doc = doc_of(lab_cluster_yaml(state_of(tmp_path, 3), LabTopology(cni="flannel")))

    assert doc["spec"]["network"] == {"plugin": "flannel"}


def test_internal_haproxy_needs_no_address(tmp_path: Path) -> None:
    doc = doc_of(lab_cluster_yaml(state_of(tmp_path, 4), LabTopology(masters=3, lb="haproxy")))

    assert doc["spec"]["controlPlaneEndpoint"] == {"internalLoadbalancer": "haproxy"}


def test_bundle_versions_and_machine_limits_become_settings_with_reasons(
    tmp_path: Path,
) -> None:
    versions = {"kubernetes": "1.36.4", "containerd": "1.6.20", "etcd": "3.4.23"}
    limits = MachineLimits(cgroup_v1=True, no_ipvs=True)

    text = lab_cluster_yaml(state_of(tmp_path, 3), LabTopology(), versions=versions, limits=limits)

    spec = doc_of(text)["spec"]
    assert spec["kubernetes"]["version"] == "v1.36.4"
    assert spec["kubernetes"]["containerRuntime"] == {"type": "containerd", "version": "1.6.20"}
    assert spec["kubernetes"]["kubeProxy"] == {"mode": "iptables"}
    assert spec["etcd"] == {"type": "kubexm", "version": "3.4.23"}
    assert spec["network"] == {"plugin": "calico"}
    assert spec["storage"] == {"openebs": {"enabled": False}}
    assert spec["preflight"]["skipChecks"] == ["cgroup", "runtime-version"]
    assert "cgroup v1" in text and "containerd 1.6.20" in text


@pytest.mark.parametrize(
    ("topo", "match"),
    [
        (LabTopology(masters=0), "masters"),
        (LabTopology(masters=4), "masters"),
        (LabTopology(masters=2, lb="kubexm-kn"), "load-balancer hosts"),
        (LabTopology(masters=1, load_balancers=1, lb="haproxy"), "--lb-hosts"),
        (LabTopology(lb="f5"), "unknown load balancer"),
    ],
    ids=["no-master", "too-many", "kn-without-hosts", "lb-hosts-without-external", "unknown"],
)
def test_impossible_topologies_are_refused(tmp_path: Path, topo: LabTopology, match: str) -> None:
    with pytest.raises(LabError, match=match):
        lab_cluster_yaml(state_of(tmp_path, 3), topo)


def bundle_with(tmp_path: Path, manifest: object) -> Path:
    path = tmp_path / "b.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def test_bundle_versions_reads_the_pinnable_components(tmp_path: Path) -> None:
    files = [
        {"component": "kubelet", "version": "1.36.4"},
        {"component": "containerd", "version": "1.6.20"},
        {"component": "runc", "version": "1.1.5"},
    ]

    versions = bundle_versions(bundle_with(tmp_path, {"files": files}))

    assert versions == {"kubernetes": "1.36.4", "containerd": "1.6.20"}


def test_bundle_versions_refuses_a_bundle_without_a_manifest(tmp_path: Path) -> None:
    path = tmp_path / "b.tar.gz"
    with tarfile.open(path, "w:gz"):
        pass
    with pytest.raises(LabError, match="no manifest"):
        bundle_versions(path)
    with pytest.raises(LabError, match="cannot read"):
        bundle_versions(bundle_with(tmp_path, {"nofiles": []}))


def test_machine_limits_detect_reads_the_machine() -> None:
    limits = MachineLimits.detect("no-such-kernel")

    assert isinstance(limits.cgroup_v1, bool) and isinstance(limits.no_ipvs, bool)
