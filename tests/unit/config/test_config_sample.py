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


def test_the_commented_keepalived_block_of_the_ha_sample_validates_when_uncommented() -> None:
    lines = render_sample("ha").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == "# keepalived:")
    for i in range(start, start + 3):
        lines[i] = lines[i].replace("# ", "", 1)
    settings = load_text("".join(lines)).cluster.spec.control_plane_endpoint.keepalived
    assert settings is not None
    assert (settings.virtual_router_id, settings.unicast) == (73, True)


def test_the_full_sample_documents_keepalived_for_kh_and_kn_only() -> None:
    text = render_sample("all")
    assert "# keepalived:" in text and "kubexm-kh | kubexm-kn (only)" in text
