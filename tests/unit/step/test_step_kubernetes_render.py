"""Rendered units and documents of binary mode, pinned per Kubernetes minor (golden files)."""

from __future__ import annotations

import pytest
from kube_step_helpers import VERSIONS, cluster, golden

from kubexm.common.paths import KUBE_PROXY_CONFIG, KUBELET_CONFIG
from kubexm.errors import KubexmError
from kubexm.step.kubernetes.configs import (
    kube_proxy_configuration,
    kubelet_args,
    kubelet_configuration,
)
from kubexm.step.kubernetes.flags import COMPONENTS, KUBE_PROXY, KUBELET, component_args
from kubexm.step.kubernetes.render import (
    UNITS,
    render,
    render_audit_policy,
    render_document,
    render_encryption_config,
    render_rbac,
    render_unit,
    settings_digest,
    systemd_arg,
    unit_name,
)
from kubexm.util.yamlio import load_yaml_all, load_yaml_plain

CONFIG = "apiServer: {audit: {enabled: true, policyFileContent: x}, encryptSecrets: true}"


def minor(version: str) -> str:
    return version.lstrip("v").rsplit(".", 1)[0]


@pytest.mark.parametrize("version", VERSIONS)
def test_control_plane_units_match_golden_per_minor(version: str) -> None:
    c = cluster(CONFIG, version)
    for component in COMPONENTS:
        unit = render_unit(component, version, component_args(c, component, c.host("m1")))
        golden(f"{minor(version)}/{unit_name(component)}", unit)


@pytest.mark.parametrize("version", VERSIONS)
def test_node_units_and_documents_match_golden_per_minor(version: str) -> None:
    c = cluster(version=version)
    w1 = c.host("w1")
    args = {"config": KUBELET_CONFIG, "kubeconfig": "/etc/kubernetes/kubelet.conf"}
    args.update(kubelet_args(c, w1))
    kubelet = render_unit(KUBELET, version, args, after=("containerd.service",))
    golden(f"{minor(version)}/kubelet.service", kubelet)
    proxy = render_unit(KUBE_PROXY, version, {"config": KUBE_PROXY_CONFIG})
    golden(f"{minor(version)}/kube-proxy.service", proxy)
    doc = render_document(kubelet_configuration(c, w1), "kubelet configuration")
    golden(f"{minor(version)}/kubelet-config.yaml", doc)
    doc = render_document(kube_proxy_configuration(c, w1), "kube-proxy configuration")
    golden(f"{minor(version)}/kube-proxy-config.yaml", doc)


def test_static_documents_match_golden() -> None:
    golden("audit-policy.yaml", render_audit_policy(None))
    key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    golden("encryption-config.yaml", render_encryption_config(key))
    bootstrap = "system:bootstrappers:kubeadm:default-node-token"
    rbac = render_rbac("kubeadm:cluster-admins", "kube-apiserver-kubelet-client", bootstrap)
    golden("rbac.yaml", rbac)


def test_rendered_yaml_parses_and_names_its_kinds() -> None:
    rbac = render_rbac("admins", "apiserver-user", "bootstrappers")
    kinds = [d["kind"] for d in load_yaml_all(rbac)]
    assert kinds == ["ClusterRole"] + ["ClusterRoleBinding"] * 5
    enc = load_yaml_plain(render_encryption_config("c2VjcmV0"))
    assert enc["resources"][0]["providers"][0]["secretbox"]["keys"][0]["secret"] == "c2VjcmV0"
    assert load_yaml_plain(render_audit_policy(None))["kind"] == "Policy"


def test_configured_audit_policy_is_used_verbatim() -> None:
    assert render_audit_policy("kind: Policy") == "kind: Policy\n"


def test_every_component_has_a_unit_spec() -> None:
    assert set(UNITS) == {*COMPONENTS, KUBELET, KUBE_PROXY}


@pytest.mark.parametrize(
    ("value", "word"),
    [
        ("plain", "--f=plain"),
        ("a b", '--f="a b"'),
        ("100%", "--f=100%%"),
        ("$HOME", "--f=$$HOME"),
        ('say "hi"', '--f="say \\"hi\\""'),
    ],
)
def test_systemd_arg_escapes_what_systemd_would_expand(value: str, word: str) -> None:
    assert systemd_arg("f", value) == word


def test_render_reports_a_missing_value_as_a_kubexm_bug() -> None:
    with pytest.raises(KubexmError, match="kubexm bug"):
        render("encryption-config.yaml.j2")


def test_settings_digest_changes_with_any_part() -> None:
    assert settings_digest("a", "b") != settings_digest("a", "c")
    assert settings_digest("ab") != settings_digest("a", "b")
