import pytest

from kubexm.config import load_text
from kubexm.config.sample import SampleKind, render_sample


@pytest.mark.parametrize(
    ("kind", "row"),
    [
        pytest.param("minimal", "9.5", id="minimal"),
        pytest.param("ha", "9.20", id="ha"),
        pytest.param("all", "9.10", id="all"),
    ],
)
def test_every_sample_is_commented_and_validates(kind: SampleKind, row: str) -> None:
    text = render_sample(kind)
    assert text.lstrip().startswith("#")
    loaded = load_text(text)
    assert loaded.cluster.support_row == row
    assert loaded.warnings == []


def test_unknown_sample_kind_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="minimal"):
        render_sample("huge")  # type: ignore[arg-type]  # deliberately wrong
