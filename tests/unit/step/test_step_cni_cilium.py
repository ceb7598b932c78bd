"""Cilium chart values: goldens, kube-proxy replacement rule, routing, image overrides."""

from __future__ import annotations

import pytest
from cluster_step_helpers import cluster, golden

from kubexm.apis.v1alpha1.network import CiliumNetwork
from kubexm.errors import PlanError
from kubexm.step.cni.cilium import cilium_values, image_values, kube_proxy_replacement, split_ref
from kubexm.task.cni import image_map
from kubexm.util.yamlio import dump_yaml


def values(network: str, extra: str = "") -> dict[str, object]:
    c = cluster(f"  network: {network}\n{extra}")
    return cilium_values(c, image_map(c, "cni:cilium"))


def test_default_cilium_values_match_golden() -> None:
    found = values("{plugin: cilium}")

    golden("cni", "cilium-values.yaml", dump_yaml(found))
    assert found["kubeProxyReplacement"] is False
    assert found["k8sServiceHost"] == "lb.kubexm.local"


def test_without_kube_proxy_the_replacement_is_on() -> None:
    found = values(
        "{plugin: cilium, kubePodsCIDR: '10.244.0.0/16,fd00:10:244::/56',"
        " kubeServiceCIDR: '10.96.0.0/12,fd00:10:96::/112',"
        " cilium: {network: {tunnelingMode: disabled}, hubble: {enable: true, enableUI: true}}}",
        "  kubernetes: {kubeProxy: {enable: false}}\n",
    )

    golden("cni", "cilium-values-kpr-native-dualstack.yaml", dump_yaml(found))
    assert found["kubeProxyReplacement"] is True
    assert found["routingMode"] == "native"
    assert found["bpf"] == {"masquerade": True}


def test_replacement_disabled_in_config_stays_off() -> None:
    c = cluster(
        "  network: {plugin: cilium, cilium: {kubeProxy: {replacement: disabled}}}\n"
        "  kubernetes: {kubeProxy: {enable: false}}\n"
    )
    assert isinstance(c.spec.network, CiliumNetwork)
    assert kube_proxy_replacement(c, c.spec.network) is False


def test_operator_image_drops_the_suffix_the_chart_adds() -> None:
    found = image_values(
        {"cilium": "r/c:v1", "operator-generic": "r/operator-generic:v1", "cilium-envoy": "r/e:v2"}
    )

    assert found["operator"] == {
        "image": {"repository": "r/operator", "tag": "v1", "useDigest": False, "suffix": "-generic"}
    }


@pytest.mark.parametrize(
    ("ref", "parts"),
    [("reg:5000/a/b:v1", ("reg:5000/a/b", "v1")), ("reg:5000/a/b", ("reg:5000/a/b", ""))],
)
def test_split_ref_does_not_take_a_port_for_a_tag(ref: str, parts: tuple[str, str]) -> None:
    assert split_ref(ref) == parts


def test_values_for_another_cni_are_a_bug() -> None:
    with pytest.raises(PlanError):
        cilium_values(cluster(), {})
