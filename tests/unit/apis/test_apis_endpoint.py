import pytest
from pydantic import ValidationError

from kubexm.apis.v1alpha1.endpoint import ControlPlaneEndpoint, Keepalived, vrrp_address


def test_defaults() -> None:
    cpe = ControlPlaneEndpoint.model_validate({})
    assert (cpe.domain, cpe.port, cpe.address) == ("lb.kubexm.local", 6443, None)


def test_old_spellings_are_accepted() -> None:
    cpe = ControlPlaneEndpoint.model_validate(
        {"lb_address": "10.0.0.100", "externalLoadBalancer": "kubexm_kh"}
    )
    assert (cpe.address, cpe.external_load_balancer) == ("10.0.0.100", "kubexm-kh")


@pytest.mark.parametrize(
    ("data", "masters", "kind"),
    [
        pytest.param({}, 1, "none", id="one-master"),
        pytest.param({}, 3, "haproxy", id="ha-default"),
        pytest.param({"internalLoadbalancer": "none"}, 3, "none", id="ha-none"),
        pytest.param({"internalLoadbalancer": "nginx"}, 3, "nginx", id="nginx"),
        pytest.param({"externalLoadBalancer": "exists"}, 3, "external", id="external"),
    ],
)
def test_effective_lb(data: dict[str, str], masters: int, kind: str) -> None:
    assert ControlPlaneEndpoint.model_validate(data).effective_lb(masters) == kind


def test_keepalived_is_unset_by_default_and_reads_camel_case_keys() -> None:
    assert ControlPlaneEndpoint.model_validate({}).keepalived is None
    cpe = ControlPlaneEndpoint.model_validate(
        {"keepalived": {"virtualRouterId": 73, "unicast": True}}
    )
    assert cpe.keepalived is not None
    assert (cpe.keepalived.virtual_router_id, cpe.keepalived.unicast) == (73, True)
    assert cpe.model_dump()["keepalived"] == {"virtualRouterId": 73, "unicast": True}


def test_keepalived_block_defaults_to_multicast_and_the_derived_router_id() -> None:
    settings = Keepalived.model_validate({})
    assert (settings.virtual_router_id, settings.unicast) == (None, False)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"virtualRouterId": 0}, id="vrid-0"),
        pytest.param({"virtualRouterId": 256}, id="vrid-256"),
        pytest.param({"virtualRouterId": "x"}, id="vrid-text"),
        pytest.param({"unicast": "sometimes"}, id="unicast-not-bool"),
        pytest.param({"virtual_router_id": 5}, id="snake-case-key"),
    ],
)
def test_keepalived_rejects_bad_values_and_unknown_keys(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ControlPlaneEndpoint.model_validate({"keepalived": data})


@pytest.mark.parametrize(
    ("addresses", "vip", "want"),
    [
        pytest.param(["10.0.0.21"], "10.0.0.100", "10.0.0.21", id="v4"),
        pytest.param(["10.0.0.21", "fd00::21"], "fd00::100", "fd00::21", id="v6-of-a-pair"),
        pytest.param(["10.0.0.21"], "fd00::100", "", id="no-v6"),
    ],
)
def test_vrrp_address_is_the_first_in_the_vip_family(
    addresses: list[str], vip: str, want: str
) -> None:
    assert vrrp_address(addresses, vip) == want
