"""CoreDNS and NodeLocal DNS rendering: goldens per minor and variant, schema, addresses,
and agreement with the kubelet's clusterDNS."""

from __future__ import annotations

import pytest
from cluster_step_helpers import cluster, golden
from k8s_validate import manifest_problems

from kubexm.common.versions import DEFAULT_KUBERNETES_MINOR, SUPPORTED_KUBERNETES_MINORS
from kubexm.errors import KubexmError
from kubexm.step.cni.manifest import Doc, find_object, parse_manifest
from kubexm.step.dns.render import (
    coredns_customised,
    coredns_service_ip,
    render,
    render_coredns,
    render_coredns_config_map,
    render_corefile,
    render_nodelocaldns,
    render_nodelocaldns_corefile,
    upstreams,
)
from kubexm.step.kubernetes.configs import kubelet_configuration
from kubexm.task.dns import dns_image

MINOR_PATCH = {"1.36": "v1.36.4", "1.35": "v1.35.8", "1.34": "v1.34.11"}
CUSTOM = """  dns:
    dnsEtcHosts: "10.0.0.5 registry.local"
    coredns:
      rewriteBlock: "rewrite name foo.example bar.example"
      additionalConfigs: "log"
      upstream: {staticServers: [10.0.0.53, 10.0.0.54], policy: sequential, maxConcurrent: 500}
      externalZones:
        - zones: [corp.example]
          nameservers: [10.1.0.53]
          cache: 60
          rewrite: [{fromPattern: "(.*)\\\\.corp", toTemplate: "{1}.corp.example"}]
    nodelocaldns:
      externalZones: [{zones: [corp.example], nameservers: [10.1.0.53]}]
"""


def checked(text: str, minor: str = DEFAULT_KUBERNETES_MINOR) -> list[Doc]:
    """The objects of ``text``, after the strict schema check for ``minor``."""
    assert manifest_problems(text, minor) == []
    return parse_manifest(text, "out")


@pytest.mark.parametrize("minor", SUPPORTED_KUBERNETES_MINORS)
def test_coredns_matches_golden_per_minor(minor: str) -> None:
    c = cluster(version=MINOR_PATCH[minor])

    text = render_coredns(c, dns_image(c, "dns:coredns"))

    golden("dns", f"coredns-{minor}.yaml", text)
    docs = checked(text, minor)
    service = find_object(docs, "Service", "kube-dns", "out")
    assert service["spec"]["clusterIP"] == "10.96.0.10"
    deployment = find_object(docs, "Deployment", "coredns", "out")
    assert deployment["spec"]["replicas"] == 2
    assert "podAntiAffinity" in deployment["spec"]["template"]["spec"]["affinity"]


@pytest.mark.parametrize("minor", SUPPORTED_KUBERNETES_MINORS)
def test_nodelocaldns_matches_golden_per_minor(minor: str) -> None:
    c = cluster(version=MINOR_PATCH[minor])

    text = render_nodelocaldns(c, dns_image(c, "dns:nodelocaldns"))

    golden("dns", f"nodelocaldns-{minor}.yaml", text)
    docs = checked(text, minor)
    ds = find_object(docs, "DaemonSet", "nodelocaldns", "out")
    assert ds["spec"]["template"]["spec"]["hostNetwork"] is True
    config_map = find_object(docs, "ConfigMap", "nodelocaldns", "out")
    corefile = config_map["data"]["Corefile"]
    assert "cluster.local:53 {" in corefile
    assert "forward . 10.96.0.10 {" in corefile
    assert "bind 169.254.25.10" in corefile


def test_customised_coredns_matches_golden() -> None:
    c = cluster(CUSTOM)

    text = render_coredns(c, "reg/coredns:v1")

    golden("dns", "coredns-custom.yaml", text)
    golden("dns", "nodelocaldns-custom.yaml", render_nodelocaldns(c, "reg/node-cache:1"))
    config = find_object(checked(text), "ConfigMap", "coredns", "out")["data"]
    assert config["hosts"] == "10.0.0.5 registry.local\n"
    assert "forward . 10.0.0.53 10.0.0.54 {" in config["Corefile"]
    assert "corp.example:53 {" in config["Corefile"]


def test_kubeadm_configmap_matches_golden() -> None:
    c = cluster(CUSTOM)

    text = render_coredns_config_map(c)

    golden("dns", "coredns-configmap-custom.yaml", text)
    checked(text)


def test_service_ip_is_the_tenth_address_of_the_first_cidr() -> None:
    c = cluster(
        "  network: {kubeServiceCIDR: '10.100.0.0/16,fd00:10:96::/112',"
        " kubePodsCIDR: '10.244.0.0/16,fd00:10:244::/56'}\n"
    )

    assert coredns_service_ip(c) == "10.100.0.10"
    assert "forward . 10.100.0.10 {" in render_nodelocaldns_corefile(c)


@pytest.mark.parametrize("enabled", [True, False])
def test_kubelet_cluster_dns_agrees_with_the_dns_kubexm_deploys(enabled: bool) -> None:
    c = cluster(f"  dns: {{nodelocaldns: {{enabled: {str(enabled).lower()}}}}}\n")

    kubelet = kubelet_configuration(c, c.host("w1"))

    if enabled:
        ds = render_nodelocaldns(c, "img:1")
        assert f'- "{kubelet["clusterDNS"][0]}"' in ds  # the -localip argument
    else:
        assert kubelet["clusterDNS"] == [coredns_service_ip(c)]


def test_upstreams_prefer_static_servers_over_resolv_conf() -> None:
    assert upstreams(cluster().spec.dns) == ["/etc/resolv.conf"]
    assert upstreams(cluster(CUSTOM).spec.dns) == ["10.0.0.53", "10.0.0.54"]
    assert "forward . /etc/resolv.conf {" in render_corefile(cluster())


def test_customised_only_when_the_config_changes_the_corefile() -> None:
    assert coredns_customised(cluster()) is False
    assert coredns_customised(cluster(CUSTOM)) is True
    assert coredns_customised(cluster("  dns: {coredns: {upstream: {policy: round_robin}}}\n"))


def test_a_missing_template_value_is_a_kubexm_error() -> None:
    with pytest.raises(KubexmError, match=r"coredns.yaml.j2"):
        render("coredns.yaml.j2", image="x")
