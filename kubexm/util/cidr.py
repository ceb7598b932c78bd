"""CIDR and IP address helpers on top of ``ipaddress``.

Dual-stack values are comma-separated lists with at most one IPv4 and one IPv6 entry, in
either order (``10.244.0.0/16,fd00:10:244::/56``).
"""

from __future__ import annotations

import ipaddress

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_LOCALHOST_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def split_csv(text: str) -> list[str]:
    """Split a comma-separated list, strip each item and drop empty items."""
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_cidr(text: str) -> IPNetwork:
    """Parse one CIDR such as ``10.96.0.0/12``.

    Raises ``ValueError`` when the prefix length is missing, when the text is not a network,
    or when host bits are set (``10.0.0.1/16``: the message names ``10.0.0.0/16``).
    """
    value = text.strip()
    if "/" not in value:
        raise ValueError(f"{value!r} is not a CIDR: the /prefix length is missing")
    try:
        loose = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid CIDR") from None
    if str(loose.network_address) != str(ipaddress.ip_interface(value).ip):
        raise ValueError(f"{value!r} has host bits set; did you mean {loose}?")
    return loose


def parse_cidrs(text: str) -> list[IPNetwork]:
    """Parse a dual-stack comma list: one or two CIDRs, at most one per IP family.

    Raises ``ValueError`` when the list is empty, an item is invalid, or a family repeats.
    """
    items = split_csv(text)
    if not items:
        raise ValueError("expected one CIDR or an IPv4,IPv6 pair, got nothing")
    networks = [parse_cidr(item) for item in items]
    families = [net.version for net in networks]
    if len(networks) > 2 or len(set(families)) != len(families):
        raise ValueError(
            f"{text.strip()!r}: a dual-stack list holds at most one IPv4 and one IPv6 CIDR"
        )
    return networks


def split_dual_stack(
    text: str,
) -> tuple[ipaddress.IPv4Network | None, ipaddress.IPv6Network | None]:
    """Return ``(ipv4, ipv6)`` from a dual-stack CIDR list; a missing family is None.

    Raises ``ValueError`` as ``parse_cidrs`` does.
    """
    v4: ipaddress.IPv4Network | None = None
    v6: ipaddress.IPv6Network | None = None
    for net in parse_cidrs(text):
        if isinstance(net, ipaddress.IPv4Network):
            v4 = net
        else:
            v6 = net
    return v4, v6


def _as_network(value: str | IPNetwork) -> IPNetwork:
    return parse_cidr(value) if isinstance(value, str) else value


def cidrs_overlap(a: str | IPNetwork, b: str | IPNetwork) -> bool:
    """Return True when the two networks share an address; different families never do.

    Raises ``ValueError`` when a string is not a valid CIDR.
    """
    net_a, net_b = _as_network(a), _as_network(b)
    if net_a.version != net_b.version:
        return False
    return net_a.overlaps(net_b)


def cidr_contains(cidr: str | IPNetwork, ip: str | IPAddress) -> bool:
    """Return True when ``ip`` lies in ``cidr``; an address of the other family never does.

    Raises ``ValueError`` when the CIDR or the address is invalid.
    """
    net = _as_network(cidr)
    addr = ipaddress.ip_address(ip.strip() if isinstance(ip, str) else ip)
    return addr.version == net.version and addr in net


def nth_address(cidr: str | IPNetwork, n: int) -> IPAddress:
    """Return the ``n``-th address of ``cidr`` (0 is the network address).

    A negative ``n`` counts from the end (-1 is the last address). Raises ``IndexError`` when
    ``n`` lies outside the network and ``ValueError`` when the CIDR is invalid.
    """
    net = _as_network(cidr)
    size = net.num_addresses
    if not -size <= n < size:
        raise IndexError(f"address index {n} is outside {net} ({size} addresses)")
    index = n if n >= 0 else size + n
    return net.network_address + index


def is_ip(text: str) -> bool:
    """Return True when ``text`` is a plain IPv4 or IPv6 address (no prefix, no name)."""
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


def is_loopback(text: str) -> bool:
    """Return True for loopback addresses (127.0.0.0/8, ::1) and the name ``localhost``."""
    value = text.strip().lower()
    if value in _LOCALHOST_NAMES:
        return True
    return is_ip(value) and ipaddress.ip_address(value).is_loopback


def ip_family(text: str) -> int:
    """Return 4 or 6 for an address or a CIDR; raises ``ValueError`` for anything else."""
    value = text.strip()
    try:
        if "/" in value:
            return ipaddress.ip_network(value, strict=False).version
        return ipaddress.ip_address(value).version
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address or CIDR") from None
