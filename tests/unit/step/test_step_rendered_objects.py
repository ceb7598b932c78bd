"""Every Kubernetes object kubexm renders, schema-checked (kubernetes-validate, strict) for
every supported Kubernetes minor, rendered with that minor's BOM.

Not here: kubeadm's documents, KubeletConfiguration and KubeProxyConfiguration (no
kubernetes-validate schema; test_step_kubeadm_schema.py checks them), kubeconfig files
(client configuration, not API objects), add-on manifests (the user's files, applied as
given) and Cilium's objects: kubexm renders only the chart's values
(test_step_cni_cilium.py); helm renders the objects on the first master. kubexm renders no
kube-proxy DaemonSet and no etcd static pod: kubeadm writes them in kubeadm mode, and binary
mode runs both under systemd.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cluster_step_helpers import BASE, STANDINS, cluster
from k8s_validate import manifest_problems, object_problems, schema_minors

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.network import CalicoNetwork, FlannelNetwork
from kubexm.common.versions import KUBERNETES_DEFAULT_PATCH, SUPPORTED_KUBERNETES_MINORS
from kubexm.config import load_text
from kubexm.pki.model import DEFAULT_ADMIN_GROUP
from kubexm.resource.resolve import resolve_artifacts
from kubexm.step.cni.calico import render_calico
from kubexm.step.cni.flannel import render_flannel
from kubexm.step.dns.render import render_coredns, render_coredns_config_map, render_nodelocaldns
from kubexm.step.kubernetes.render import (
    render_audit_policy,
    render_encryption_config,
    render_rbac,
)
from kubexm.step.lb.render import render_kube_vip, render_static_pod
from kubexm.task.cni import image_map
from kubexm.task.control_plane import APISERVER_KUBELET_USER, BOOTSTRAP_GROUP
from kubexm.task.dns import dns_image
from kubexm.task.lb import kube_vip_kubeconfig
from kubexm.util.yamlio import load_yaml_plain

TEMPLATES = Path(__file__).resolve().parents[3] / "kubexm" / "templates"
DUAL_STACK = (
    "    kubePodsCIDR: 10.244.0.0/16,fd00:10:244::/56\n"
    "    kubeServiceCIDR: 10.96.0.0/12,fd00:10:96::/112\n"
)
DNS_CUSTOM = """  dns:
    dnsEtcHosts: "10.0.0.5 registry.local"
    coredns:
      upstream: {staticServers: [10.0.0.53]}
      externalZones: [{zones: [corp.example], nameservers: [10.1.0.53]}]
    nodelocaldns:
      externalZones: [{zones: [corp.example], nameservers: [10.1.0.53]}]
"""


@functools.cache
def at(minor: str, extra: str = "") -> Cluster:
    """The two-node config at ``minor``'s default patch (loaded once: rendering reads it)."""
    return cluster(extra, version=f"v{KUBERNETES_DEFAULT_PATCH[minor]}")


def two_masters(minor: str, lb: str) -> Cluster:
    """A kubeadm cluster with two masters behind the internal load balancer ``lb``."""
    text = BASE.replace("master: [m1]", "master: [m1, m2]").replace(
        "    - {name: w1", "    - {name: m2, address: 10.0.0.3}\n    - {name: w1"
    )
    vip = ", address: 10.0.0.100" if lb == "kube-vip" else ""
    text += f"  controlPlaneEndpoint: {{internalLoadbalancer: {lb}{vip}}}\n"
    text += f"  kubernetes: {{version: v{KUBERNETES_DEFAULT_PATCH[minor]}, type: kubeadm}}\n"
    return load_text(text, source="t.yaml").cluster


def lb_image(c: Cluster, kind: str) -> str:
    return next(i.target for i in resolve_artifacts(c).images if i.purpose == f"lb:{kind}")


def calico(minor: str, network: str = "") -> str:
    c = at(minor, f"  network:\n{network}" if network else "")
    assert isinstance(c.spec.network, CalicoNetwork)
    text = (STANDINS / "calico.yaml").read_text(encoding="utf-8")
    return render_calico(text, c.spec.network, image_map(c, "cni:calico"), "calico.yaml")


def flannel(minor: str, network: str = "") -> str:
    c = at(minor, f"  network:\n    plugin: flannel\n{network}")
    assert isinstance(c.spec.network, FlannelNetwork)
    text = (STANDINS / "kube-flannel.yml").read_text(encoding="utf-8")
    return render_flannel(text, c.spec.network, image_map(c, "cni:flannel"), "flannel.yml")


def static_pod(minor: str, kind: str) -> str:
    return render_static_pod(kind, lb_image(two_masters(minor, kind), kind), "config\n")


def kube_vip(minor: str) -> str:
    c = two_masters(minor, "kube-vip")
    return render_kube_vip(
        lb_image(c, "kube-vip"),
        vip="10.0.0.100",
        port=6443,
        interface="eth0",
        kubeconfig=kube_vip_kubeconfig(c, "m1"),
    )


def coredns(minor: str, extra: str = "") -> str:
    c = at(minor, extra)
    return render_coredns(c, dns_image(c, "dns:coredns"))


def nodelocaldns(minor: str, extra: str = "") -> str:
    c = at(minor, extra)
    return render_nodelocaldns(c, dns_image(c, "dns:nodelocaldns"))


KEY = base64.b64encode(bytes(range(32))).decode("ascii")

#: What kubexm renders, by case id: each a function of the Kubernetes minor.
CASES: dict[str, Callable[[str], str]] = {
    "coredns": coredns,
    "coredns-custom": lambda m: coredns(m, DNS_CUSTOM),
    "coredns-configmap": lambda m: render_coredns_config_map(at(m, DNS_CUSTOM)),
    "nodelocaldns": nodelocaldns,
    "nodelocaldns-custom": lambda m: nodelocaldns(m, DNS_CUSTOM),
    "calico": calico,
    "calico-vxlan-dualstack": lambda m: calico(
        m, DUAL_STACK + "    calico: {networking: {ipipMode: Never, vxlanMode: Always}}\n"
    ),
    "flannel": flannel,
    "flannel-hostgw-dualstack": lambda m: flannel(
        m, DUAL_STACK + "    flannel: {backend: {type: host-gw}}\n"
    ),
    "haproxy-pod": lambda m: static_pod(m, "haproxy"),
    "nginx-pod": lambda m: static_pod(m, "nginx"),
    "kube-vip-pod": kube_vip,
    "rbac": lambda m: render_rbac(DEFAULT_ADMIN_GROUP, APISERVER_KUBELET_USER, BOOTSTRAP_GROUP),
    "audit-policy": lambda m: render_audit_policy(None),
    "encryption-config": lambda m: render_encryption_config(KEY),
}
#: Every template that renders Kubernetes objects -> a case rendering it.
TEMPLATE_CASES = {
    "dns/coredns.yaml.j2": "coredns",
    "dns/coredns-configmap.yaml.j2": "coredns-configmap",
    "dns/nodelocaldns.yaml.j2": "nodelocaldns",
    "lb/lb-static-pod.yaml.j2": "haproxy-pod",
    "lb/kube-vip.yaml.j2": "kube-vip-pod",
    "kubernetes/rbac.yaml.j2": "rbac",
    "kubernetes/audit-policy.yaml.j2": "audit-policy",
    "kubernetes/encryption-config.yaml.j2": "encryption-config",
}


@pytest.mark.parametrize("minor", SUPPORTED_KUBERNETES_MINORS)
@pytest.mark.parametrize("case", CASES)
def test_rendered_objects_pass_the_strict_schema_of_each_minor(case: str, minor: str) -> None:
    text = CASES[case](minor)

    assert manifest_problems(text, minor) == []


def test_every_template_of_kubernetes_objects_is_checked() -> None:
    found = {
        path.relative_to(TEMPLATES).as_posix()
        for path in TEMPLATES.rglob("*.j2")
        if re.search(r"^apiVersion:", path.read_text(encoding="utf-8"), re.MULTILINE)
    }

    assert found == set(TEMPLATE_CASES)
    assert set(TEMPLATE_CASES.values()) <= set(CASES)


def test_every_supported_minor_has_its_own_schemas() -> None:
    assert set(SUPPORTED_KUBERNETES_MINORS) <= set(schema_minors())


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "namespace": "kube-system"},
    "spec": {"containers": [{"name": "c", "image": "i:1", "imagePullPolicy": "IfNotPresent"}]},
}


def test_an_unknown_field_names_the_object_and_the_field_path() -> None:
    pod = {**POD, "spec": {"containers": [{**POD["spec"]["containers"][0], "imagePull": "x"}]}}

    problems = object_problems(pod, "1.36")

    assert problems == [
        "v1 Pod kube-system/p: spec.containers[0]: Additional properties are not allowed "
        "('imagePull' was unexpected)"
    ]


def test_a_wrong_type_and_a_missing_field_are_problems() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "n"},
        "spec": {"replicas": "2", "template": {"spec": POD["spec"]}},
    }

    problems = object_problems(deployment, "1.34")

    assert any("spec.replicas: '2' is not of type 'integer'" in p for p in problems)
    assert any("spec: 'selector' is a required property" in p for p in problems)


def test_rules_beside_the_schema_find_selector_namespace_and_untagged_images() -> None:
    daemonset = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "d"},
        "spec": {
            "selector": {"matchLabels": {"app": "d"}},
            "template": {
                "metadata": {"labels": {"app": "other"}},
                "spec": {"containers": [{"name": "c", "image": "reg:5000/c"}]},
            },
        },
    }

    problems = object_problems(daemonset, "1.35")

    assert problems == [
        "apps/v1 DaemonSet d: metadata.namespace: a namespaced object must name it",
        "apps/v1 DaemonSet d: spec.selector: does not match the template's labels",
        "apps/v1 DaemonSet d: spec.template.spec.containers[0].image: 'reg:5000/c' has no tag",
    ]


CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ippools.crd.projectcalico.org}
spec:
  group: crd.projectcalico.org
  names: {kind: IPPool, plural: ippools}
  scope: Cluster
  versions: [{name: v1, served: true, storage: true}]
"""
POOL = "apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata: {name: p}\n"


def test_custom_resources_of_the_manifests_own_crd_are_skipped_but_others_are_not() -> None:
    assert manifest_problems(f"{CRD}---\n{POOL}", "1.36") == []
    assert manifest_problems(POOL, "1.36") == [
        "crd.projectcalico.org/v1 IPPool p: no schema for this apiVersion/kind in Kubernetes 1.36"
    ]


def test_an_unquoted_on_is_a_boolean_as_for_kubectl() -> None:
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n"

    problems = manifest_problems(config_map + "data: {debug: on, day: 2024-01-01}\n", "1.36")

    assert problems == ["v1 ConfigMap n/c: data.debug: True is not of type 'string', 'null'"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rules: [{level: Everything}]", "rules[0].level: 'Everything' is not one of"),
        ("rules: [{level: None, nonResourceURLs: [/x], namespaces: [a]}]", "rules[0]: "),
        ("rules: []", "rules: [] should be non-empty"),
        ("rules: [{level: None, user: [a]}]", "('user' was unexpected)"),
    ],
    ids=["level", "urls-with-namespaces", "no-rules", "unknown-field"],
)
def test_the_own_audit_policy_schema_finds_mistakes(text: str, problem: str) -> None:
    problems = manifest_problems(f"apiVersion: audit.k8s.io/v1\nkind: Policy\n{text}\n", "1.36")

    assert len(problems) == 1 and problem in problems[0], problems


def test_the_own_encryption_schema_wants_one_provider_and_a_32_byte_secretbox_key() -> None:
    doc = load_yaml_plain(render_encryption_config("c2VjcmV0"))
    doc["resources"][0]["providers"][1]["aescbc"] = {"keys": [{"name": "k", "secret": KEY}]}

    problems = object_problems(doc, "1.36")

    assert [p.split(": ")[1] for p in problems] == [
        "resources[0].providers[0].secretbox.keys[0].secret",
        "resources[0].providers[1]",
    ]
