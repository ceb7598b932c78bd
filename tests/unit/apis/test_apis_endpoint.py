import pytest

from kubexm.apis.v1alpha1.endpoint import ControlPlaneEndpoint


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
