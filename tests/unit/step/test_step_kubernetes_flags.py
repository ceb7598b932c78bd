"""The control-plane flag tables: defaults per mode and version, user settings, removals."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from kube_step_helpers import VERSIONS, cluster

from kubexm.errors import ConfigError, PlanError
from kubexm.step.kubernetes.flags import (
    APISERVER,
    COMPONENTS,
    CONTROLLER_MANAGER,
    FLAG_SPANS,
    KUBELET,
    SCHEDULER,
    accepts,
    check_removed,
    command_line,
    component_args,
    feature_gates,
    kube_minor,
    secrets_encryption,
    user_settings,
)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("component", COMPONENTS)
def test_no_flag_the_version_removed_is_emitted(component: str, version: str) -> None:
    c = cluster(version=version)
    minor = kube_minor(c)
    args = component_args(c, component, c.host("m1"))
    removed = [f for f, (_, last) in FLAG_SPANS[component].items() if last and minor > last]
    assert removed, "the table must know removed flags of every component"
    assert not set(args) & set(removed)
    assert all(accepts(component, flag, minor) for flag in args)


def test_insecure_port_is_closed_only_where_it_exists() -> None:
    old = cluster(version="v1.23.17", unsupported=True)
    assert component_args(old, APISERVER)["insecure-port"] == "0"
    assert "insecure-port" not in component_args(cluster(), APISERVER)


def test_apiserver_binary_mode_defaults_use_kubeadm_paths() -> None:
    c = cluster()
    args = component_args(c, APISERVER, c.host("m2"))
    assert args["advertise-address"] == "10.0.0.12"
    assert args["etcd-servers"] == ",".join(f"https://10.0.0.{n}:2379" for n in (11, 12, 21))
    assert args["etcd-certfile"] == "/etc/kubernetes/pki/apiserver-etcd-client.crt"
    assert args["client-ca-file"] == "/etc/kubernetes/pki/ca.crt"
    assert args["anonymous-auth"] == "false"
    assert args["kubelet-certificate-authority"] == "/etc/kubernetes/pki/ca.crt"
    assert args["service-account-issuer"] == "https://kubernetes.default.svc.cluster.local"
    assert args["secure-port"] == "6443"
    assert list(args) == sorted(args)


def test_kubeadm_mode_leaves_per_host_and_probe_breaking_flags_out() -> None:
    c = cluster("type: kubeadm", extra="  etcd: {type: kubeadm}\n")
    args = component_args(c, APISERVER)
    for flag in ("advertise-address", "anonymous-auth", "kubelet-certificate-authority"):
        assert flag not in args
    assert not [f for f in args if f.startswith("etcd-") and f != "etcd-prefix"]


def test_external_etcd_uses_the_configured_files() -> None:
    c = cluster(
        extra="  etcd: {type: external, external: {endpoints: [https://e:2379, https://f:2379],"
        " caFile: /x/ca.pem, certFile: /x/c.pem, keyFile: /x/k.pem}}\n"
    )
    args = component_args(c, APISERVER)
    assert args["etcd-servers"] == "https://e:2379,https://f:2379"
    assert (args["etcd-cafile"], args["etcd-certfile"], args["etcd-keyfile"]) == (
        "/x/ca.pem",
        "/x/c.pem",
        "/x/k.pem",
    )


def test_extra_args_and_feature_gates_win_over_defaults() -> None:
    c = cluster(
        "apiServer: {extraArgs: {profiling: true, --v: 2}, featureGates: {B: false, A: true}}"
    )
    args = component_args(c, APISERVER)
    assert args["profiling"] == "true"
    assert args["v"] == "2"
    assert args["feature-gates"] == "A=true,B=false"


def test_audit_and_encryption_flags_follow_the_config() -> None:
    c = cluster("apiServer: {encryptSecrets: true, audit: {enabled: true, policyFileContent: x}}")
    args = component_args(c, APISERVER)
    assert secrets_encryption(c)
    assert args["encryption-provider-config"] == "/etc/kubernetes/encryption-config.yaml"
    assert args["audit-policy-file"] == "/etc/kubernetes/audit-policy.yaml"
    assert args["audit-log-maxbackup"] == "10"
    plain = component_args(cluster(), APISERVER)
    assert not [f for f in plain if f.startswith(("audit-", "encryption-"))]


def test_controller_manager_and_scheduler_defaults() -> None:
    c = cluster("controllerManager: {nodeMonitorGracePeriod: 40s}")
    cm = component_args(c, CONTROLLER_MANAGER)
    assert cm["kubeconfig"] == "/etc/kubernetes/controller-manager.conf"
    assert cm["cluster-cidr"] == "10.244.0.0/16"
    assert cm["node-cidr-mask-size"] == "24"
    assert cm["cluster-signing-duration"] == "8760h"
    assert cm["node-monitor-grace-period"] == "40s"
    sched = component_args(c, SCHEDULER)
    assert sched == {
        "authentication-kubeconfig": "/etc/kubernetes/scheduler.conf",
        "authorization-kubeconfig": "/etc/kubernetes/scheduler.conf",
        "bind-address": "127.0.0.1",
        "kubeconfig": "/etc/kubernetes/scheduler.conf",
        "leader-elect": "true",
        "profiling": "false",
    }


def test_dual_stack_pods_get_a_mask_per_family() -> None:
    c = cluster(
        extra="  network: {kubePodsCIDR: '10.244.0.0/16,fd00:10:244::/56',"
        " kubeServiceCIDR: '10.96.0.0/12,fd00:10:96::/112'}\n"
    )
    cm = component_args(c, CONTROLLER_MANAGER)
    assert cm["node-cidr-mask-size-ipv4"] == "24"
    assert cm["node-cidr-mask-size-ipv6"] == "64"
    assert "node-cidr-mask-size" not in cm


def test_a_removed_flag_in_extra_args_is_a_config_error_with_its_path() -> None:
    c = cluster("scheduler: {extraArgs: {port: '0'}}")
    with pytest.raises(ConfigError) as err:
        component_args(c, SCHEDULER)
    assert err.value.problems[0].path == "spec.kubernetes.scheduler.extraArgs.port"


def test_a_typed_field_for_a_removed_flag_is_a_config_error() -> None:
    c = cluster("controllerManager: {podEvictionTimeout: 5m}")
    with pytest.raises(ConfigError) as err:
        component_args(c, CONTROLLER_MANAGER)
    assert err.value.problems[0].path == "spec.kubernetes.controllerManager.podEvictionTimeout"
    old = cluster("controllerManager: {podEvictionTimeout: 5m}", "v1.26.15", unsupported=True)
    assert component_args(old, CONTROLLER_MANAGER)["pod-eviction-timeout"] == "5m"


def test_a_removed_feature_gate_is_a_config_error() -> None:
    c = cluster("apiServer: {featureGates: {CSIStorageCapacity: true}}")
    with pytest.raises(ConfigError, match="CSIStorageCapacity"):
        component_args(c, APISERVER)


def test_check_removed_knows_the_kubelet_flags() -> None:
    c = cluster()
    with pytest.raises(ConfigError, match="pod-infra-container-image"):
        check_removed(c, KUBELET, {"pod-infra-container-image": "x"}, {})
    check_removed(cluster(version="v1.34.11"), KUBELET, {"pod-infra-container-image": "x"}, {})


def test_user_settings_strip_dashes() -> None:
    c = cluster("kubelet: {extraArgs: {--v: 3}, featureGates: {X: true}}")
    flags, gates = user_settings(c, KUBELET)
    assert flags == {"v": "3"}
    assert gates == {"X": True}  # a configured map replaces the default gates


def test_unknown_component_is_a_plan_error() -> None:
    with pytest.raises(PlanError):
        component_args(cluster(), "kube-foo")


def test_helpers_format_gates_and_command_lines() -> None:
    assert feature_gates({"b": False, "a": True}) == "a=true,b=false"
    assert feature_gates({}) == ""
    assert command_line("kube-x", {"a": "1", "b": "2"}) == ["kube-x", "--a=1", "--b=2"]
    assert accepts(APISERVER, "insecure-port", 23) and not accepts(APISERVER, "insecure-port", 24)
    assert accepts(APISERVER, "anything-else", 99)


def _standin_flags() -> ModuleType:
    """The e2e stand-ins' own table of the flags each component version accepts (written
    from the upstream docs independently of this module)."""
    path = Path(__file__).resolve().parents[2] / "e2e" / "standins" / "common.py"
    spec = importlib.util.spec_from_file_location("kx_standin_common", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("version", VERSIONS)
def test_every_emitted_flag_is_known_to_the_independent_flag_table(version: str) -> None:
    table = _standin_flags()
    audit = "audit: {enabled: true, policyFileContent: 'kind: Policy'}"
    c = cluster(f"apiServer: {{encryptSecrets: true, {audit}}}", version)
    for component in COMPONENTS:
        args = component_args(c, component, c.host("m1"))
        table.parse_flags(component, version.lstrip("v"), [f"--{k}={v}" for k, v in args.items()])
