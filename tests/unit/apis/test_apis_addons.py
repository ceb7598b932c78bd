import pytest
from pydantic import ValidationError

from kubexm.apis.v1alpha1.addons import Addon, Gateway


def test_addon_defaults() -> None:
    addon = Addon.model_validate({"name": "metrics-server"})
    assert (addon.enabled, addon.timeout_seconds, addon.sources) == (False, 300, [])


@pytest.mark.parametrize("name", ["Metrics", "-x", "a_b"])
def test_addon_name_must_be_dns1123(name: str) -> None:
    with pytest.raises(ValidationError):
        Addon.model_validate({"name": name})


def test_gateway_is_off_by_default() -> None:
    assert Gateway.model_validate({}).ingress_nginx.enabled is False
