"""The host supervisor: nspawn command line, reboot loop, clean stop."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kubexm.lab import supervisor


def test_nspawn_argv_applies_every_fix_of_the_recipe(tmp_path: Path) -> None:
    argv = supervisor.nspawn_argv("kxnode1", tmp_path)

    assert argv[:2] == ["systemd-nspawn", "--boot"]
    for flag in (
        f"--directory={tmp_path / 'root'}",
        "--machine=kxnode1",
        "--hostname=kxnode1",
        "--network-namespace-path=/run/netns/kxnode1",
        "--register=no",
        "--keep-unit",
        "--system-call-filter=@keyring",
        f"--bind={tmp_path / 'containerd'}:/var/lib/containerd",
    ):
        assert flag in argv
    assert any(a.startswith("--capability=") and "CAP_NET_ADMIN" in a for a in argv)
    assert supervisor.NSPAWN_ENV == {"SYSTEMD_NSPAWN_API_VFS_WRITABLE": "network"}


def test_supervisor_argv_uses_this_interpreter(tmp_path: Path) -> None:
    argv = supervisor.supervisor_argv("kxnode2", tmp_path)

    assert argv == [sys.executable, "-m", "kubexm.lab.supervisor", "kxnode2", str(tmp_path)]


def fake_nspawn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, codes: list[int]) -> Path:
    """nspawn stand-in: each boot appends a line and exits with the next code."""
    boots = tmp_path / "boots"
    script = "n=$(cat {b} 2>/dev/null | wc -l); echo boot >> {b}; set -- {c}; shift $n; exit $1"
    command = script.format(b=boots, c=" ".join(map(str, codes)))
    monkeypatch.setattr(supervisor, "nspawn_argv", lambda name, host_dir: ["sh", "-c", command])
    return boots


def test_loop_boots_again_after_a_reboot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    boots = fake_nspawn(monkeypatch, tmp_path, [133, 133, 0])

    code = supervisor._Supervisor("kxnode1", tmp_path).loop()

    assert code == 0
    assert boots.read_text().count("boot") == 3
    assert int((tmp_path / "nspawn.pid").read_text()) > 0


@pytest.mark.parametrize("code", [1, 137], ids=["failure", "killed"])
def test_loop_stops_on_any_other_exit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, code: int
) -> None:
    boots = fake_nspawn(monkeypatch, tmp_path, [code, 0])

    assert supervisor._Supervisor("kxnode1", tmp_path).loop() == code
    assert boots.read_text().count("boot") == 1


def test_loop_does_not_reboot_while_stopping(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    boots = fake_nspawn(monkeypatch, tmp_path, [133, 0])
    sup = supervisor._Supervisor("kxnode1", tmp_path)
    sup.stopping = True

    assert sup.loop() == 133
    assert boots.read_text().count("boot") == 1


def test_sigterm_is_forwarded_to_nspawn(tmp_path: Path) -> None:
    sup = supervisor._Supervisor("kxnode1", tmp_path)
    sup.child = subprocess.Popen(["sleep", "30"])

    sup.on_term(signal.SIGTERM, None)

    assert sup.stopping
    assert sup.child.wait(timeout=5) == -signal.SIGTERM


def test_main_runs_in_the_host_cgroups_and_leaves_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    events: list[str] = []
    monkeypatch.setattr(supervisor, "_detach", lambda pid, log: events.append("detach"))
    monkeypatch.setattr(supervisor.signal, "signal", lambda *a: events.append("signal"))
    monkeypatch.setattr(supervisor.cgroup, "enter", lambda name: [tmp_path / "cg" / name])
    monkeypatch.setattr(supervisor.cgroup, "leave", lambda dirs: events.append("leave"))
    fake_nspawn(monkeypatch, tmp_path, [7])
    (tmp_path / "supervisor.pid").write_text("1\n")

    assert supervisor.main(["kxnode3", str(tmp_path)]) == 7
    assert events == ["detach", "signal", "leave"]
    assert (tmp_path / "cgroups.list").read_text() == f"{tmp_path / 'cg' / 'kxnode3'}\n"
    assert not (tmp_path / "supervisor.pid").exists()
