from typing import Any

import pytest
from pydantic import ValidationError

from kubexm.apis.v1alpha1 import Cluster


def doc(masters: int = 3, workers: int = 1, **spec: Any) -> dict[str, Any]:
    hosts = [{"name": f"m{i}", "address": f"10.0.0.{i}"} for i in range(1, masters + 1)]
    hosts += [{"name": f"w{i}", "address": f"10.0.1.{i}"} for i in range(1, workers + 1)]
    groups = {
        "master": [f"m{i}" for i in range(1, masters + 1)],
        "etcd": [f"m{i}" for i in range(1, masters + 1)],
        "worker": [f"w{i}" for i in range(1, workers + 1)],
    }
    body: dict[str, Any] = {"hosts": hosts, "roleGroups": groups, "global": {"password": "pw"}}
    body.update(spec)
    return {
        "apiVersion": "kubexm.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": "c1"},
        "spec": body,
    }


def test_cluster_name_defaults_to_metadata_name() -> None:
    cluster = Cluster.model_validate(doc())
    assert cluster.cluster_name == "c1"
    assert cluster.spec.kubernetes.cluster_name == "c1"
    named = Cluster.model_validate(doc(kubernetes={"clusterName": "prod"}))
    assert named.cluster_name == "prod"
    assert named.name == "c1"


@pytest.mark.parametrize("version", ["kubexms.io/v1alpha1", "kubexm.mensylisir.io/v1alpha1"])
def test_deprecated_api_versions_load_as_the_canonical_one(version: str) -> None:
    data = doc()
    data["apiVersion"] = version
    assert Cluster.model_validate(data).api_version == "kubexm.io/v1alpha1"


def test_unknown_api_version_is_rejected() -> None:
    data = doc()
    data["apiVersion"] = "v1"
    with pytest.raises(ValidationError):
        Cluster.model_validate(data)


def test_hosts_in_role_and_roles_of() -> None:
    cluster = Cluster.model_validate(doc())
    assert [h.name for h in cluster.hosts_in_role("master")] == ["m1", "m2", "m3"]
    assert cluster.roles_of("m1") == ["master", "etcd"]
    assert cluster.roles_of("w1") == ["worker"]
    with pytest.raises(KeyError):
        cluster.host("nope")


def test_etcd_members_follow_the_etcd_type() -> None:
    assert [h.name for h in Cluster.model_validate(doc()).etcd_members()] == ["m1", "m2", "m3"]
    stacked = Cluster.model_validate(doc(etcd={"type": "kubeadm"}))
    assert [h.name for h in stacked.etcd_members()] == ["m1", "m2", "m3"]
    ext = Cluster.model_validate(
        doc(etcd={"type": "external", "external": {"endpoints": ["https://e:2379"]}})
    )
    assert ext.etcd_members() == []


@pytest.mark.parametrize(
    ("cpe", "host", "address"),
    [
        pytest.param({}, "w1", "127.0.0.1", id="worker-behind-local-haproxy"),
        pytest.param({}, "m2", "10.0.0.2", id="master-uses-itself"),
        pytest.param({"internalLoadbalancer": "none"}, "w1", "10.0.0.1", id="no-lb-first-master"),
        pytest.param(
            {"internalLoadbalancer": "kube-vip", "address": "10.0.0.100"},
            "w1",
            "10.0.0.100",
            id="kube-vip",
        ),
        pytest.param(
            {"externalLoadBalancer": "kubexm-kh", "address": "10.0.0.100"},
            "m1",
            "10.0.0.100",
            id="kh-vip",
        ),
    ],
)
def test_api_endpoint_for_each_node_type(cpe: dict[str, str], host: str, address: str) -> None:
    cluster = Cluster.model_validate(doc(controlPlaneEndpoint=cpe))
    endpoint = cluster.api_endpoint_for(host)
    assert endpoint.address == address
    assert endpoint.server == "https://lb.kubexm.local:6443"


def test_single_master_has_no_lb_and_a_matrix_row() -> None:
    cluster = Cluster.model_validate(doc(masters=1))
    assert cluster.lb_kind == "none"
    assert cluster.support_row == "9.5"
    assert cluster.api_endpoint_for("w1").address == "10.0.0.1"


def test_ssh_for_inherits_global_and_prefers_own_credentials() -> None:
    data = doc()
    data["spec"]["global"] = {
        "user": "ops",
        "port": 2222,
        "privateKeyPath": "/k",
        "connectionTimeout": "5s",
    }
    data["spec"]["hosts"][0].update({"password": "own-pw", "port": 22})
    cluster = Cluster.model_validate(data)
    inherited = cluster.ssh_for("m2")
    assert (inherited.user, inherited.port, inherited.private_key_path) == ("ops", 2222, "/k")
    assert inherited.password is None
    assert inherited.timeout == 5
    own = cluster.ssh_for("m1")
    assert own.password is not None
    assert own.password.get_secret_value() == "own-pw"
    assert (own.port, own.private_key_path) == (22, None)
    assert "own-pw" not in repr(own)


def test_ssh_for_names_the_config_field_of_the_key_in_use() -> None:
    data = doc()
    data["spec"]["global"] = {"privateKeyPath": "/k"}
    data["spec"]["hosts"][1].update({"privateKey": "KEY"})
    data["spec"]["hosts"][0].update({"password": "own-pw"})
    cluster = Cluster.model_validate(data)
    assert cluster.ssh_for("m1").key_field == ""
    assert cluster.ssh_for("m2").key_field == "spec.hosts[1].privateKey"
    assert cluster.ssh_for("w1").key_field == "spec.global.privateKeyPath"


def test_ssh_for_inherits_the_sudo_password_apart_from_the_login_method() -> None:
    data = doc()
    data["spec"]["global"] = {"privateKeyPath": "/k", "sudoPassword": "glob-sudo"}
    data["spec"]["hosts"][0].update({"password": "own-pw", "sudoPassword": "own-sudo"})
    cluster = Cluster.model_validate(data)
    inherited = cluster.ssh_for("m2")
    assert inherited.sudo_password is not None
    assert inherited.sudo_password.get_secret_value() == "glob-sudo"
    own = cluster.ssh_for("m1")
    assert own.sudo_password is not None
    assert own.sudo_password.get_secret_value() == "own-sudo"
    assert "own-sudo" not in repr(own)


def test_apiserver_sans_hold_domain_vip_masters_and_service_ip() -> None:
    cluster = Cluster.model_validate(
        doc(
            controlPlaneEndpoint={"internalLoadbalancer": "kube-vip", "address": "10.0.0.100"},
            kubernetes={"apiServer": {"certExtraSans": ["api.example.com"]}},
        )
    )
    sans = cluster.apiserver_sans()
    for expected in (
        "lb.kubexm.local",
        "10.0.0.100",
        "10.0.0.1",
        "m3",
        "10.96.0.1",
        "api.example.com",
    ):
        assert expected in sans
    assert len(sans) == len(set(sans))
