"""The in-memory simulated connection."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from kubexm.connector.base import Connection, Result
from kubexm.connector.simulated import ChannelMeter, SimulatedConnection, simulated_hosts
from kubexm.errors import CommandError, ConnectError, TransferError


async def test_run_answers_from_rules_and_defaults_to_success() -> None:
    conn = SimulatedConnection("n1")
    assert isinstance(conn, Connection)
    conn.add_rule(r"^uname", Result(0, "Linux\n", ""))
    assert (await conn.run("uname -s")).stdout == "Linux\n"
    assert (await conn.run("true")).ok
    assert conn.commands == ["uname -s", "true"]


async def test_failed_command_raises_with_check_and_returns_without() -> None:
    conn = SimulatedConnection("n1")
    conn.add_rule("systemctl", Result(3, "", "inactive"))
    with pytest.raises(CommandError, match=r"\[n1\] command failed \(exit 3\)"):
        await conn.run("systemctl is-active etcd")
    assert (await conn.run("systemctl is-active etcd", check=False)).exit_status == 3


async def test_scripted_errors_can_be_transient() -> None:
    conn = SimulatedConnection("n1")
    conn.add_rule("apt", error=ConnectError("n1", "reset"), times=1)
    with pytest.raises(ConnectError):
        await conn.run("apt update")
    assert (await conn.run("apt update")).ok


async def test_handler_builds_the_answer() -> None:
    conn = SimulatedConnection("n1")
    conn.add_rule("echo", handler=lambda cmd: Result(0, cmd[5:], ""))
    assert (await conn.run("echo hi")).stdout == "hi"


async def test_put_reports_change_only_when_content_or_mode_differ(tmp_path: Path) -> None:
    conn = SimulatedConnection("n1")
    assert await conn.put(b"a", "/etc/x")
    assert not await conn.put(b"a", "/etc/x")
    assert await conn.put(b"a", "/etc/x", mode=0o600)
    src = tmp_path / "f"
    src.write_bytes(b"b")
    assert await conn.put(src, "/etc/x", mode=0o600)
    assert conn.sha256("/etc/x") is not None
    assert conn.sha256("/nope") is None
    with pytest.raises(TransferError, match="cannot read"):
        await conn.put(tmp_path / "missing", "/etc/y")


async def test_get_copies_files_and_fails_for_missing(tmp_path: Path) -> None:
    conn = SimulatedConnection("n1", files={"/etc/x": b"data"})
    await conn.get("/etc/x", tmp_path / "x")
    assert (tmp_path / "x").read_bytes() == b"data"
    with pytest.raises(TransferError, match="no such file"):
        await conn.get("/etc/none", tmp_path / "y")


async def test_closed_connection_refuses_work() -> None:
    conn = SimulatedConnection("n1")
    await conn.close()
    await conn.close()
    with pytest.raises(TransferError, match="closed"):
        await conn.run("true")


async def test_latency_and_shared_meter() -> None:
    meter = ChannelMeter()
    hosts = simulated_hosts(["a", "b"], latency=0.02, slow={"b": 2.0}, meter=meter)
    assert hosts["b"].latency == pytest.approx(0.04)
    start = time.perf_counter()
    await asyncio.gather(hosts["a"].run("x"), hosts["b"].run("y"))
    assert time.perf_counter() - start >= 0.04
    assert meter.peak == 2
    assert meter.current == 0
