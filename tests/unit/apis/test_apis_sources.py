import pytest
from pydantic import ValidationError

from kubexm.apis.v1alpha1.sources import AddonSource


def test_chart_source_defaults_to_waiting() -> None:
    source = AddonSource.model_validate({"chart": {"name": "x", "repo": "https://c.local"}})
    assert source.chart is not None
    assert source.chart.wait is True


def test_yaml_source_needs_a_path() -> None:
    with pytest.raises(ValidationError):
        AddonSource.model_validate({"yaml": {"path": []}})
