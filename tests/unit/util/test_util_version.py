from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubexm.util.version import (
    Version,
    compare_versions,
    is_valid_version,
    parse_version,
    same_minor,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("v1.36.4", Version(1, 36, 4), id="leading-v"),
        pytest.param("1.36.4", Version(1, 36, 4), id="plain"),
        pytest.param("1.36", Version(1, 36, None), id="no-patch"),
        pytest.param("3.5.10-0", Version(3, 5, 10, "-0"), id="image-build-suffix"),
        pytest.param("v1.31.0-rc.1", Version(1, 31, 0, "-rc.1"), id="pre-release"),
        pytest.param("v1.30.2+k3s1", Version(1, 30, 2, "+k3s1"), id="build-metadata"),
        pytest.param(" 1.2.3 ", Version(1, 2, 3), id="spaces"),
    ],
)
def test_parse_version_reads_forms(text: str, expected: Version) -> None:
    assert parse_version(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("1", id="major-only"),
        pytest.param("1.2.3.4", id="four-parts"),
        pytest.param("latest", id="word"),
        pytest.param("v1.x", id="letter-minor"),
        pytest.param("1.2.3-", id="dangling-dash"),
    ],
)
def test_parse_version_rejects_bad_input(text: str) -> None:
    with pytest.raises(ValueError, match="is not a version"):
        parse_version(text)


def test_version_text_forms() -> None:
    version = parse_version("v1.36.4")
    assert str(version) == "1.36.4"
    assert version.with_v() == "v1.36.4"
    assert version.minor_str == "1.36"
    assert str(parse_version("1.36")) == "1.36"


def test_version_release_drops_suffix() -> None:
    assert str(parse_version("3.5.10-0").release()) == "3.5.10"


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        pytest.param("1.35.9", "1.36.0", id="minor"),
        pytest.param("1.36.2", "1.36.10", id="patch-numeric-not-text"),
        pytest.param("1.36", "1.36.0", id="bare-minor-first"),
        pytest.param("1.36.0-rc.1", "1.36.0", id="rc-before-release"),
        pytest.param("1.36.0-alpha.1", "1.36.0-beta.0", id="alpha-before-beta"),
        pytest.param("3.5.10", "3.5.10-0", id="image-build-after-release"),
        pytest.param("1.9.9", "2.0.0", id="major"),
    ],
)
def test_compare_versions_orders(older: str, newer: str) -> None:
    assert compare_versions(older, newer) == -1
    assert compare_versions(newer, older) == 1
    assert compare_versions(older, older) == 0
    assert parse_version(older) < parse_version(newer)


def test_compare_versions_accepts_version_objects() -> None:
    assert compare_versions(Version(1, 2, 3), "v1.2.3") == 0


def test_version_comparison_with_other_type_is_unsupported() -> None:
    with pytest.raises(TypeError):
        _ = Version(1, 2, 3) < "1.2.4"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param("1.36.1", "v1.36", True, id="same"),
        pytest.param("1.36.1", "1.35.1", False, id="different-minor"),
        pytest.param("2.36.1", "1.36.1", False, id="different-major"),
    ],
)
def test_same_minor(a: str, b: str, expected: bool) -> None:
    assert same_minor(a, b) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("v1.36.4", True, id="valid"),
        pytest.param("1.36", True, id="bare-minor"),
        pytest.param("next", False, id="invalid"),
    ],
)
def test_is_valid_version(text: str, expected: bool) -> None:
    assert is_valid_version(text) is expected


_suffixes = st.sampled_from(["", "-0", "-1", "-rc.1", "-rc.2", "-alpha.0", "+k3s1", "-x.y"])
_versions = st.builds(
    Version,
    st.integers(min_value=0, max_value=3),
    st.integers(min_value=0, max_value=40),
    st.one_of(st.none(), st.integers(min_value=0, max_value=12)),
    _suffixes,
)


@given(version=_versions)
def test_version_str_round_trips(version: Version) -> None:
    assert parse_version(str(version)) == version
    assert parse_version(version.with_v()) == version


@given(a=_versions, b=_versions, c=_versions)
def test_version_order_is_total(a: Version, b: Version, c: Version) -> None:
    assert sum([a < b, a == b, a > b]) == 1
    assert compare_versions(a, b) == -compare_versions(b, a)
    if a <= b and b <= c:
        assert a <= c


@given(versions=st.lists(_versions, min_size=2, max_size=6))
def test_sorted_versions_keep_major_minor_order(versions: list[Version]) -> None:
    ordered = sorted(versions)
    keys = [(v.major, v.minor) for v in ordered]
    assert keys == sorted(keys)
