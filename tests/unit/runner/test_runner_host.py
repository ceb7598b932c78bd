from __future__ import annotations

import pytest
from fakeconn import FAIL, OK, FakeConnection

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.runner.host import Host, OpResult, Record, Recorder, combine, poll_script


async def test_run_passes_sudo_and_returns_result(fake: FakeConnection) -> None:
    fake.script("uname -r", Result(0, "6.1.0\n", ""))
    result = await Host(fake, sudo=True).run("uname -r")
    assert result.stdout == "6.1.0\n"
    assert fake.sudo_flags == [True]


async def test_run_without_sudo_when_host_is_not_sudo(fake: FakeConnection) -> None:
    fake.script("id", OK)
    await Host(fake, sudo=False).run("id")
    assert fake.sudo_flags == [False]


async def test_run_raises_command_error_on_failure(host: Host, fake: FakeConnection) -> None:
    fake.script("false-thing", Result(2, "", "boom\n"))
    with pytest.raises(CommandError, match="boom"):
        await host.run("false-thing")


@pytest.mark.parametrize(("answer", "expected"), [(OK, True), (FAIL, False)], ids=["ok", "fail"])
async def test_test_turns_exit_status_into_bool(
    host: Host, fake: FakeConnection, answer: Result, expected: bool
) -> None:
    fake.script("probe", answer)
    assert await host.test("probe") is expected


async def test_change_executes_and_records_outcome(host: Host) -> None:
    calls: list[str] = []

    async def action() -> None:
        calls.append("done")

    result = await host.change("write /etc/x", action)
    assert result == OpResult(True, "write /etc/x")
    assert calls == ["done"]
    assert host.recorder.lines() == ["[node1] write /etc/x"]


async def test_change_in_dry_run_records_would_and_does_not_execute(fake: FakeConnection) -> None:
    host = Host(fake, dry_run=True)
    calls: list[str] = []

    async def action() -> None:
        calls.append("done")

    result = await host.change("write /etc/x", action)
    assert result == OpResult(True, "would write /etc/x")
    assert calls == []
    assert host.recorder.lines() == ["[node1] would write /etc/x"]


async def test_execute_runs_command_through_the_gate(host: Host, fake: FakeConnection) -> None:
    fake.script("swapoff -a", OK)
    result = await host.execute("turn swap off", "swapoff -a")
    assert result.changed
    assert fake.ran == ["swapoff -a"]


async def test_execute_in_dry_run_runs_nothing(fake: FakeConnection) -> None:
    host = Host(fake, dry_run=True)
    await host.execute("turn swap off", "swapoff -a")
    assert fake.ran == []


async def test_failed_action_is_not_recorded(host: Host, fake: FakeConnection) -> None:
    fake.script("swapoff", FAIL)
    with pytest.raises(CommandError):
        await host.execute("turn swap off", "swapoff -a")
    assert host.recorder.records == []


async def test_put_passes_host_sudo(fake: FakeConnection) -> None:
    changed = await Host(fake, sudo=False).put(b"x", "/tmp/x", mode=0o600, owner="ops")
    assert changed
    assert (fake.puts[0].sudo, fake.puts[0].mode, fake.puts[0].owner) == (False, 0o600, "ops")


async def test_wait_returns_when_loop_succeeds(host: Host, fake: FakeConnection) -> None:
    fake.script("while :", OK)
    await host.wait("thing", "while :; do true; done", timeout=5, hint="h")
    assert len(fake.ran) == 1


async def test_wait_raises_with_hint_when_loop_gives_up(host: Host, fake: FakeConnection) -> None:
    fake.script("while :", FAIL)
    with pytest.raises(CommandError) as info:
        await host.wait("etcd active", "while :; do false; done", timeout=5, hint="look at logs")
    assert info.value.hint == "look at logs"
    assert "etcd active" in info.value.message


async def test_wait_in_dry_run_only_records(fake: FakeConnection) -> None:
    host = Host(fake, dry_run=True)
    await host.wait("etcd active", "while :; do false; done", timeout=5, hint="h")
    assert fake.ran == []
    assert host.recorder.lines() == ["[node1] would wait for etcd active"]


def test_combine_is_changed_when_any_part_changed() -> None:
    merged = combine([OpResult(False, "a ok"), OpResult(True, "write b"), OpResult(True, "c")])
    assert merged == OpResult(True, "write b; c")


def test_combine_of_unchanged_parts_is_unchanged() -> None:
    assert combine([OpResult.unchanged("x")]).changed is False


def test_recorder_filters_by_host() -> None:
    recorder = Recorder()
    recorder.add(Record("a", "write /x", executed=True))
    recorder.add(Record("b", "write /y", executed=False))
    assert recorder.lines("b") == ["[b] would write /y"]
    assert len(recorder.lines()) == 2


def test_poll_script_checks_until_deadline() -> None:
    script = poll_script("systemctl is-active --quiet etcd", 30)
    assert "$(( $(date +%s) + 30 ))" in script
    assert "systemctl is-active --quiet etcd && exit 0" in script
    assert "sleep 1" in script


def test_host_name_is_connection_host(fake: FakeConnection) -> None:
    assert Host(fake).name == "node1"
