"""The lab network: bridge kx0 (10.77.0.1/24) and one network namespace + veth per host.

Hosts get no default route on purpose: nothing leaves 10.77.0.0/24, so the lab behaves like an
air-gapped site and a test can never depend on the internet by accident.
"""

from __future__ import annotations

from pathlib import Path

from kubexm.errors import LabError
from kubexm.lab.layout import BRIDGE, BRIDGE_ADDRESS, PREFIX_LEN
from kubexm.lab.system import run

NETNS_DIR = Path("/run/netns")
SYS_NET_DIR = Path("/sys/class/net")


def bridge_exists(name: str = BRIDGE) -> bool:
    return Path("/sys/class/net", name).exists()


def bridge_commands(name: str = BRIDGE) -> list[list[str]]:
    """Commands that create the bridge with the lab's gateway address."""
    return [
        ["ip", "link", "add", name, "type", "bridge"],
        ["ip", "addr", "add", f"{BRIDGE_ADDRESS}/{PREFIX_LEN}", "dev", name],
        ["ip", "link", "set", name, "up"],
    ]


def ensure_bridge(name: str = BRIDGE) -> bool:
    """Create the bridge unless it exists; returns True when this call created it."""
    if bridge_exists(name):
        return False
    for argv in bridge_commands(name):
        run(argv)
    return True


def delete_bridge(name: str = BRIDGE) -> None:
    if bridge_exists(name):
        run(["ip", "link", "del", name])


def netns_commands(netns: str, veth: str, address: str, bridge: str = BRIDGE) -> list[list[str]]:
    """Commands that give a host its namespace, with ``eth0`` = ``address`` on the bridge."""
    return [
        ["ip", "netns", "add", netns],
        ["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns],
        ["ip", "link", "set", veth, "master", bridge, "up"],
        ["ip", "-n", netns, "addr", "add", f"{address}/{PREFIX_LEN}", "dev", "eth0"],
        ["ip", "-n", netns, "link", "set", "lo", "up"],
        ["ip", "-n", netns, "link", "set", "eth0", "up"],
    ]


def netns_exists(netns: str) -> bool:
    return (NETNS_DIR / netns).exists()


def ensure_netns(netns: str, veth: str, address: str) -> None:
    """Create the host's namespace and veth unless the namespace exists already.

    The namespace outlives reboots and stop/start of the host, so its address stays put.
    LabError when an ``ip`` command fails (a half-made namespace is removed first).
    """
    if netns_exists(netns):
        return
    # A namespace deleted while a process still held it can leave its veth behind.
    delete_link(veth)
    try:
        for argv in netns_commands(netns, veth, address):
            run(argv)
    except Exception:
        delete_netns(netns)
        raise


def link_exists(name: str) -> bool:
    return (SYS_NET_DIR / name).exists()


def delete_link(name: str) -> None:
    """Remove a network link of the machine when present (one end removes a veth pair).

    The kernel may remove a veth on its own between the check and the command (its namespace
    just went away); that counts as done.
    """
    if not link_exists(name):
        return
    try:
        run(["ip", "link", "del", name])
    except LabError:
        if link_exists(name):
            raise


def delete_netns(netns: str, veth: str | None = None) -> None:
    """Remove the namespace and, when named, its veth.

    The pair normally goes with the namespace; it stays when a process of the stopped host
    still held the namespace, so the veth is removed explicitly as well.
    """
    if netns_exists(netns):
        run(["ip", "netns", "del", netns])
    if veth is not None:
        delete_link(veth)
