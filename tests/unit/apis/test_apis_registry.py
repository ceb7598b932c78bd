import pytest
from pydantic import ValidationError

from kubexm.apis.v1alpha1.registry import RegistrySpec


def test_defaults_and_data_dir_alias() -> None:
    assert RegistrySpec.model_validate({}).local.type == "harbor"
    spec = RegistrySpec.model_validate({"local": {"dataRoot": "/data/registry"}})
    assert spec.local.registry_data_dir == "/data/registry"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"mirroring": {"privateRegistry": "https://r.local"}}, id="url-not-host"),
        pytest.param({"auths": {"bad host": {}}}, id="bad-key"),
        pytest.param({"local": {"registryDataDir": "data"}}, id="relative-dir"),
    ],
)
def test_invalid_registry_settings(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RegistrySpec.model_validate(data)
