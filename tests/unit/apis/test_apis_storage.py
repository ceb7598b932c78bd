from kubexm.apis.v1alpha1.storage import StorageSpec


def test_openebs_is_the_only_provider_by_default() -> None:
    assert StorageSpec.model_validate({}).enabled_providers() == ["openebs"]


def test_enabled_providers_lists_each_enabled_one() -> None:
    spec = StorageSpec.model_validate(
        {"openebs": {"enabled": False}, "nfs": {"enabled": True}, "longhorn": {"enabled": True}}
    )
    assert spec.enabled_providers() == ["nfs", "longhorn"]
