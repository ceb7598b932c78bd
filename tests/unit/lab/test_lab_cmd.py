"""`kubexm lab ...` commands, with the lab replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from kubexm.cmd import lab_cmd
from kubexm.cmd.state import CLIState, OutputFormat
from kubexm.errors import LabError
from kubexm.lab.lab import HostStatus, UpResult, planned_hosts
from kubexm.lab.layout import LabState, Paths


def invoke(args: list[str], output: OutputFormat = OutputFormat.table) -> Result:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = CLIState(output=output)

    app.add_typer(lab_cmd.lab_app, name="lab")
    return CliRunner().invoke(app, ["lab", *args])


def lab_state(count: int = 2) -> LabState:
    return LabState("bookworm", planned_hosts(Paths(Path("/lab")), count, "sekret"))


def test_up_prints_hosts_and_timing(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[int, str]] = []

    def fake_up(count: int, os_name: str) -> UpResult:
        asked.append((count, os_name))
        return UpResult(lab_state(count), 62.0, 2.8)

    monkeypatch.setattr(lab_cmd, "up", fake_up)
    monkeypatch.setattr(lab_cmd, "template_is_current", lambda paths, os_name: True)

    result = invoke(["up", "2", "--os", "trixie"])

    assert result.exit_code == 0, result.output
    assert asked == [(2, "trixie")]
    out = result.output
    assert "kxnode2  10.77.0.12" in out and "ready in 2.8 s" in out
    assert "sekret" not in out


def test_up_reports_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab_cmd, "up", lambda count, os_name: UpResult(lab_state(1), 0.0, 3.0))
    monkeypatch.setattr(lab_cmd, "template_is_current", lambda paths, os_name: True)

    result = invoke(["up", "1"], OutputFormat.json)

    data = json.loads(result.output)
    assert data["hosts"] == [{"name": "kxnode1", "address": "10.77.0.11"}]
    assert data["ready_seconds"] == 3.0


def test_up_refuses_an_unknown_os_before_doing_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab_cmd, "up", lambda *a: pytest.fail("brought a lab up"))

    result = invoke(["up", "--os", "centos"])

    assert isinstance(result.exception, LabError)


def test_down_says_how_long_it_took(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab_cmd, "down", lambda: 0.8)

    assert "lab is down (0.8 s)" in invoke(["down"]).output


def test_status_prints_a_table(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        HostStatus("kxnode1", "10.77.0.11", True, True),
        HostStatus("kxnode2", "10.77.0.12", False, False),
    ]
    monkeypatch.setattr(lab_cmd, "status", lambda: rows)

    lines = invoke(["status"]).output.splitlines()

    assert lines[0].split() == ["NAME", "ADDRESS", "STATE", "SSH"]
    assert lines[2].split() == ["kxnode2", "10.77.0.12", "stopped", "no"]


def test_status_as_json_and_without_a_lab(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        lab_cmd, "status", lambda: [HostStatus("kxnode1", "10.77.0.11", True, False)]
    )
    data = json.loads(invoke(["status"], OutputFormat.json).output)
    monkeypatch.setattr(lab_cmd, "status", list)

    assert data == [{"name": "kxnode1", "address": "10.77.0.11", "running": True, "ssh": False}]
    assert "no lab is up" in invoke(["status"]).output


def test_ssh_execs_ssh_with_the_lab_key(monkeypatch: pytest.MonkeyPatch) -> None:
    execs: list[list[str]] = []
    monkeypatch.setattr(lab_cmd, "load_state", lambda paths: lab_state())
    monkeypatch.setattr(lab_cmd.os, "execvp", lambda file, argv: execs.append(argv))

    invoke(["ssh", "kxnode2", "--user", "kxadmin", "--", "uname", "-a"])

    assert execs[0][0] == "ssh" and "/lab/secrets/id_ed25519" in execs[0]
    assert execs[0][-3:] == ["kxadmin@10.77.0.12", "uname", "-a"]


def test_ssh_without_a_lab_is_a_lab_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab_cmd, "load_state", lambda paths: None)

    result = invoke(["ssh", "kxnode1"])

    assert isinstance(result.exception, LabError)


def test_config_prints_the_skeleton_and_the_password_only_on_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lab_cmd, "load_state", lambda paths: lab_state(3))

    plain = invoke(["config", "--masters", "3"]).output
    with_sudo = invoke(["config", "--sudo-user"]).output

    assert "kind: Cluster" in plain and "master: [kxnode1, kxnode2, kxnode3]" in plain
    assert "sekret" not in plain
    assert 'sudoPassword: "sekret"' in with_sudo
