from pathlib import Path

import pytest

from kubexm.common import versions

BOM = Path("/work/shared/data/bom.yaml")


def test_default_version_is_the_patch_of_the_default_minor() -> None:
    assert versions.default_kubernetes_version() == "v1.36.4"


def test_every_supported_minor_has_a_default_patch() -> None:
    assert set(versions.SUPPORTED_KUBERNETES_MINORS) == set(versions.KUBERNETES_DEFAULT_PATCH)
    for minor, patch in versions.KUBERNETES_DEFAULT_PATCH.items():
        assert patch.startswith(minor + ".")


@pytest.mark.skipif(not BOM.exists(), reason="the shared BOM is not on this machine")
def test_table_matches_the_bom() -> None:
    from kubexm.util.yamlio import load_yaml_plain

    bom = load_yaml_plain(BOM.read_text(encoding="utf-8"))
    assert bom["default_kubernetes_minor"] == versions.DEFAULT_KUBERNETES_MINOR
    assert tuple(bom["supported_kubernetes_minors"]) == versions.SUPPORTED_KUBERNETES_MINORS
    for minor, patch in versions.KUBERNETES_DEFAULT_PATCH.items():
        assert bom["kubernetes"][minor]["kubernetes"] == patch
