from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubexm.util.cidr import (
    cidr_contains,
    cidrs_overlap,
    ip_family,
    is_ip,
    is_loopback,
    nth_address,
    parse_cidr,
    parse_cidrs,
    split_csv,
    split_dual_stack,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a,b", ["a", "b"], id="plain"),
        pytest.param(" a , b ,", ["a", "b"], id="spaces-and-trailing-comma"),
        pytest.param("", [], id="empty"),
        pytest.param(",,", [], id="only-commas"),
    ],
)
def test_split_csv_strips_and_drops_empties(text: str, expected: list[str]) -> None:
    assert split_csv(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("10.244.0.0/16", ipaddress.IPv4Network("10.244.0.0/16"), id="v4"),
        pytest.param(" 10.96.0.0/12 ", ipaddress.IPv4Network("10.96.0.0/12"), id="spaces"),
        pytest.param("fd00:10:244::/56", ipaddress.IPv6Network("fd00:10:244::/56"), id="v6"),
        pytest.param("10.0.0.5/32", ipaddress.IPv4Network("10.0.0.5/32"), id="host-route"),
    ],
)
def test_parse_cidr_accepts_networks(text: str, expected: ipaddress.IPv4Network) -> None:
    assert parse_cidr(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("10.0.0.1/16", "host bits set; did you mean 10.0.0.0/16", id="host-bits"),
        pytest.param("fd00::1/64", "did you mean fd00::/64", id="v6-host-bits"),
        pytest.param("10.0.0.0", "prefix length is missing", id="no-prefix"),
        pytest.param("10.0.0.0/33", "not a valid CIDR", id="prefix-too-long"),
        pytest.param("pods/16", "not a valid CIDR", id="name"),
    ],
)
def test_parse_cidr_rejects_bad_input(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_cidr(text)


def test_parse_cidrs_reads_dual_stack_in_given_order() -> None:
    nets = parse_cidrs("fd00::/56, 10.244.0.0/16")
    assert [str(n) for n in nets] == ["fd00::/56", "10.244.0.0/16"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("10.0.0.0/16,10.1.0.0/16", id="two-v4"),
        pytest.param("fd00::/56,fd01::/56", id="two-v6"),
        pytest.param("10.0.0.0/16,fd00::/56,10.1.0.0/16", id="three"),
        pytest.param(" , ", id="empty"),
    ],
)
def test_parse_cidrs_rejects_more_than_one_per_family(text: str) -> None:
    with pytest.raises(ValueError, match="CIDR"):
        parse_cidrs(text)


@pytest.mark.parametrize(
    ("text", "v4", "v6"),
    [
        pytest.param("10.244.0.0/16", "10.244.0.0/16", None, id="v4-only"),
        pytest.param("fd00::/56", None, "fd00::/56", id="v6-only"),
        pytest.param("fd00::/56,10.244.0.0/16", "10.244.0.0/16", "fd00::/56", id="both"),
    ],
)
def test_split_dual_stack_returns_one_per_family(text: str, v4: str | None, v6: str | None) -> None:
    got_v4, got_v6 = split_dual_stack(text)
    assert (None if got_v4 is None else str(got_v4)) == v4
    assert (None if got_v6 is None else str(got_v6)) == v6


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param("10.96.0.0/12", "10.100.0.0/16", True, id="nested"),
        pytest.param("10.96.0.0/12", "10.244.0.0/16", False, id="disjoint"),
        pytest.param("10.0.0.0/8", "fd00::/8", False, id="families-differ"),
        pytest.param(ipaddress.ip_network("fd00::/56"), "fd00::/64", True, id="network-object"),
    ],
)
def test_cidrs_overlap(a: str, b: str, expected: bool) -> None:
    assert cidrs_overlap(a, b) is expected


@pytest.mark.parametrize(
    ("cidr", "ip", "expected"),
    [
        pytest.param("10.96.0.0/12", "10.96.0.10", True, id="inside"),
        pytest.param("10.96.0.0/12", "10.112.0.1", False, id="outside"),
        pytest.param("10.96.0.0/12", "fd00::1", False, id="other-family"),
        pytest.param("fd00::/64", ipaddress.ip_address("fd00::a"), True, id="address-object"),
    ],
)
def test_cidr_contains(cidr: str, ip: str, expected: bool) -> None:
    assert cidr_contains(cidr, ip) is expected


def test_cidr_contains_rejects_bad_address() -> None:
    with pytest.raises(ValueError):
        cidr_contains("10.0.0.0/8", "not-an-ip")


@pytest.mark.parametrize(
    ("cidr", "n", "expected"),
    [
        pytest.param("10.96.0.0/12", 1, "10.96.0.1", id="first-service-ip"),
        pytest.param("10.96.0.0/12", 10, "10.96.0.10", id="dns-ip"),
        pytest.param("10.96.0.0/12", -1, "10.111.255.255", id="last"),
        pytest.param("fd00::/112", 10, "fd00::a", id="v6"),
    ],
)
def test_nth_address_picks_by_index(cidr: str, n: int, expected: str) -> None:
    assert str(nth_address(cidr, n)) == expected


@pytest.mark.parametrize("n", [pytest.param(256, id="past-end"), pytest.param(-257, id="before")])
def test_nth_address_raises_index_error_outside(n: int) -> None:
    with pytest.raises(IndexError, match=r"outside 10\.0\.0\.0/24"):
        nth_address("10.0.0.0/24", n)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("10.0.0.1", True, id="v4"),
        pytest.param("fd00::1", True, id="v6"),
        pytest.param("10.0.0.0/8", False, id="cidr"),
        pytest.param("node1", False, id="name"),
    ],
)
def test_is_ip(text: str, expected: bool) -> None:
    assert is_ip(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("127.0.0.1", True, id="v4-loopback"),
        pytest.param("127.1.2.3", True, id="v4-loopback-net"),
        pytest.param("::1", True, id="v6-loopback"),
        pytest.param("localhost", True, id="name"),
        pytest.param("LocalHost", True, id="name-any-case"),
        pytest.param("10.0.0.1", False, id="private"),
        pytest.param("node1", False, id="other-name"),
    ],
)
def test_is_loopback(text: str, expected: bool) -> None:
    assert is_loopback(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("10.0.0.1", 4, id="v4"),
        pytest.param("fd00::1", 6, id="v6"),
        pytest.param("10.0.0.0/8", 4, id="v4-cidr"),
        pytest.param("fd00::/56", 6, id="v6-cidr"),
    ],
)
def test_ip_family(text: str, expected: int) -> None:
    assert ip_family(text) == expected


def test_ip_family_rejects_names() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        ip_family("node1")


_v4_nets = st.builds(
    lambda addr, prefix: ipaddress.ip_network(f"{addr}/{prefix}", strict=False),
    st.ip_addresses(v=4),
    st.integers(min_value=8, max_value=32),
)


@given(net=_v4_nets, data=st.data())
def test_nth_address_stays_in_network(net: ipaddress.IPv4Network, data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=-net.num_addresses, max_value=net.num_addresses - 1))
    assert cidr_contains(net, nth_address(net, n))


@given(a=_v4_nets, b=_v4_nets)
def test_cidrs_overlap_is_symmetric(a: ipaddress.IPv4Network, b: ipaddress.IPv4Network) -> None:
    assert cidrs_overlap(a, b) == cidrs_overlap(b, a)
    assert cidrs_overlap(a, a)
