from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubexm.util.hostrange import MAX_HOSTS, expand_host_range, is_host_range


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        pytest.param("node[1:3]", ["node1", "node2", "node3"], id="simple"),
        pytest.param("node[01:03]", ["node01", "node02", "node03"], id="zero-padded"),
        pytest.param("node[08:10]", ["node08", "node09", "node10"], id="padded-across-width"),
        pytest.param("10.0.0.[11:13]", ["10.0.0.11", "10.0.0.12", "10.0.0.13"], id="ip"),
        pytest.param("k[1:2].lab", ["k1.lab", "k2.lab"], id="suffix-kept"),
        pytest.param("r[1:2]n[1:2]", ["r1n1", "r1n2", "r2n1", "r2n2"], id="cartesian"),
        pytest.param("node[5:5]", ["node5"], id="single"),
        pytest.param("master1", ["master1"], id="plain-name"),
    ],
)
def test_expand_host_range_expands_patterns(pattern: str, expected: list[str]) -> None:
    assert expand_host_range(pattern) == expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        pytest.param("node[3:1]", "start 3 is greater than end 1", id="reversed"),
        pytest.param("node[1-3]", "expected ranges like", id="dash"),
        pytest.param("node[1:3", "expected ranges like", id="unclosed"),
        pytest.param("node[a:b]", "expected ranges like", id="letters"),
        pytest.param("node]", "expected ranges like", id="stray-bracket"),
        pytest.param("  ", "empty", id="empty"),
        pytest.param("n[1:300]m[1:300]", f"more than {MAX_HOSTS}", id="too-many"),
    ],
)
def test_expand_host_range_rejects_bad_patterns(pattern: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        expand_host_range(pattern)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("node[1:3]", True, id="range"),
        pytest.param("10.0.0.[1:9]", True, id="ip-range"),
        pytest.param("node1", False, id="plain"),
        pytest.param("node[1-3]", False, id="dash-is-not-range"),
    ],
)
def test_is_host_range_detects_range_syntax(text: str, expected: bool) -> None:
    assert is_host_range(text) is expected


@given(
    start=st.integers(min_value=0, max_value=500),
    length=st.integers(min_value=1, max_value=50),
    prefix=st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True),
)
def test_expand_host_range_count_matches_bounds(start: int, length: int, prefix: str) -> None:
    end = start + length - 1
    hosts = expand_host_range(f"{prefix}[{start}:{end}]")
    assert len(hosts) == end - start + 1
    assert hosts[0] == f"{prefix}{start}"
    assert hosts[-1] == f"{prefix}{end}"
    assert len(set(hosts)) == len(hosts)


@given(
    start=st.integers(min_value=0, max_value=99),
    length=st.integers(min_value=1, max_value=30),
    width=st.integers(min_value=3, max_value=6),
)
def test_expand_host_range_pads_to_start_width(start: int, length: int, width: int) -> None:
    end = start + length - 1
    hosts = expand_host_range(f"n[{start:0{width}d}:{end}]")
    assert all(len(host) == 1 + width for host in hosts)
    assert [int(host[1:]) for host in hosts] == list(range(start, end + 1))


def test_huge_range_is_refused_before_it_is_built() -> None:
    with pytest.raises(ValueError, match="more than"):
        expand_host_range("node[1:100000000000000]")
