import pytest
from pydantic import TypeAdapter, ValidationError

from kubexm.apis.v1alpha1 import network as net

ADAPTER: TypeAdapter[net.NetworkSpec] = TypeAdapter(net.NetworkSpec)


def test_default_network_is_calico_on_the_default_ranges() -> None:
    value = ADAPTER.validate_python({})
    assert isinstance(value, net.CalicoNetwork)
    assert (value.kube_pods_cidr, value.kube_service_cidr) == ("10.244.0.0/16", "10.96.0.0/12")
    assert net.default_network().plugin == "calico"


@pytest.mark.parametrize(
    ("plugin", "model"),
    [
        pytest.param("flannel", net.FlannelNetwork, id="flannel"),
        pytest.param("cilium", net.CiliumNetwork, id="cilium"),
        pytest.param("kubeovn", net.KubeOvnNetwork, id="kubeovn-alias"),
        pytest.param("hybridnet", net.HybridnetNetwork, id="hybridnet"),
    ],
)
def test_plugin_selects_its_variant(plugin: str, model: type) -> None:
    assert isinstance(ADAPTER.validate_python({"plugin": plugin}), model)


def test_dual_stack_cidrs_are_accepted_and_normalised() -> None:
    value = ADAPTER.validate_python({"kubePodsCIDR": "10.244.0.0/16, fd00:10:244::/56"})
    assert value.kube_pods_cidr == "10.244.0.0/16,fd00:10:244::/56"


def test_cni_block_of_another_plugin_is_rejected() -> None:
    with pytest.raises(ValidationError):
        ADAPTER.validate_python({"plugin": "calico", "cilium": {}})


def test_old_source_key_is_accepted() -> None:
    value = ADAPTER.validate_python({"calico": {"source": {"yaml": {"path": ["calico.yaml"]}}}})
    assert isinstance(value, net.CalicoNetwork)
    assert value.calico.sources is not None


def test_network_tag_reads_models_and_dicts() -> None:
    assert net.network_tag({"plugin": "kubeovn"}) == "kube-ovn"
    assert net.network_tag(net.default_network()) == "calico"
