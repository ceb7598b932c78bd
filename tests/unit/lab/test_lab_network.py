"""Bridge and per-host network namespace commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubexm.errors import LabError
from kubexm.lab import network


def test_bridge_commands_give_the_gateway_address() -> None:
    cmds = network.bridge_commands("kx0")

    assert cmds[0] == ["ip", "link", "add", "kx0", "type", "bridge"]
    assert ["ip", "addr", "add", "10.77.0.1/24", "dev", "kx0"] in cmds
    assert cmds[-1] == ["ip", "link", "set", "kx0", "up"]


def test_netns_commands_put_eth0_on_the_bridge_without_a_default_route() -> None:
    cmds = network.netns_commands("kxnode2", "kxv2", "10.77.0.12")

    assert cmds[0] == ["ip", "netns", "add", "kxnode2"]
    assert ["ip", "link", "set", "kxv2", "master", "kx0", "up"] in cmds
    assert ["ip", "-n", "kxnode2", "addr", "add", "10.77.0.12/24", "dev", "eth0"] in cmds
    assert not any("route" in argv for argv in cmds)


def test_ensure_bridge_creates_only_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(network, "run", lambda argv: calls.append(list(argv)))
    monkeypatch.setattr(network, "bridge_exists", lambda name="kx0": False)

    assert network.ensure_bridge() is True
    assert len(calls) == 3

    monkeypatch.setattr(network, "bridge_exists", lambda name="kx0": True)
    assert network.ensure_bridge() is False
    assert len(calls) == 3


def test_ensure_netns_removes_a_half_made_namespace(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(network, "NETNS_DIR", tmp_path)
    calls: list[list[str]] = []

    def fake_run(argv: list[str]) -> None:
        calls.append(argv)
        if argv[:3] == ["ip", "netns", "add"]:
            (tmp_path / argv[3]).touch()
        if argv[:3] == ["ip", "link", "add"]:
            raise LabError("veth failed")

    monkeypatch.setattr(network, "run", fake_run)

    with pytest.raises(LabError, match="veth failed"):
        network.ensure_netns("kxnode1", "kxv1", "10.77.0.11")

    assert calls[-1] == ["ip", "netns", "del", "kxnode1"]


def test_ensure_netns_keeps_an_existing_namespace(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(network, "NETNS_DIR", tmp_path)
    (tmp_path / "kxnode1").touch()
    monkeypatch.setattr(network, "run", lambda argv: pytest.fail(f"ran {argv}"))

    network.ensure_netns("kxnode1", "kxv1", "10.77.0.11")
    assert network.netns_exists("kxnode1")


def test_delete_bridge_and_netns_do_nothing_when_absent(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(network, "NETNS_DIR", tmp_path)
    monkeypatch.setattr(network, "run", lambda argv: pytest.fail(f"ran {argv}"))

    network.delete_netns("kxnode7")
    network.delete_bridge("kxnone-such")


def test_bridge_exists_reads_sysfs() -> None:
    assert network.bridge_exists("lo") is True
    assert network.bridge_exists("kxnone-such") is False


def test_ensure_netns_removes_a_stale_veth_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    netns_dir, sys_net = tmp_path / "netns", tmp_path / "net"
    netns_dir.mkdir()
    sys_net.mkdir()
    (sys_net / "kxv1").touch()
    monkeypatch.setattr(network, "NETNS_DIR", netns_dir)
    monkeypatch.setattr(network, "SYS_NET_DIR", sys_net)
    calls: list[list[str]] = []
    monkeypatch.setattr(network, "run", calls.append)

    network.ensure_netns("kxnode1", "kxv1", "10.77.0.11")

    assert calls[0] == ["ip", "link", "del", "kxv1"]
    assert calls[1] == ["ip", "netns", "add", "kxnode1"]


def test_delete_netns_also_removes_a_veth_left_behind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "kxnode2").touch()
    (tmp_path / "kxv2").touch()
    monkeypatch.setattr(network, "NETNS_DIR", tmp_path)
    monkeypatch.setattr(network, "SYS_NET_DIR", tmp_path)
    calls: list[list[str]] = []
    monkeypatch.setattr(network, "run", calls.append)

    network.delete_netns("kxnode2", "kxv2")

    assert calls == [["ip", "netns", "del", "kxnode2"], ["ip", "link", "del", "kxv2"]]


def test_delete_link_accepts_a_veth_that_vanished_meanwhile(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    link = tmp_path / "kxv4"
    link.touch()
    monkeypatch.setattr(network, "SYS_NET_DIR", tmp_path)

    def vanish(argv: list[str]) -> None:
        link.unlink()
        raise LabError('Cannot find device "kxv4"')

    monkeypatch.setattr(network, "run", vanish)
    network.delete_link("kxv4")


def test_delete_link_reports_a_link_that_stays(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "kxv5").touch()
    monkeypatch.setattr(network, "SYS_NET_DIR", tmp_path)

    def refuse(argv: list[str]) -> None:
        raise LabError("Operation not permitted")

    monkeypatch.setattr(network, "run", refuse)
    with pytest.raises(LabError, match="not permitted"):
        network.delete_link("kxv5")
