"""One host's life, with the machine-touching calls replaced."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kubexm.errors import LabError
from kubexm.lab import hosts
from kubexm.lab.layout import LabHost, Paths

HOST = LabHost("kxnode1", "10.77.0.11", 22, "/k/id_ed25519", "kxadmin", "pw")


def test_ssh_argv_uses_the_key_and_skips_host_key_checks() -> None:
    argv = hosts.ssh_argv(HOST, ["true"])

    assert argv[:3] == ["ssh", "-i", "/k/id_ed25519"]
    assert "BatchMode=yes" in argv and "StrictHostKeyChecking=no" in argv
    assert argv[-2:] == ["root@10.77.0.11", "true"]


def test_ssh_argv_logs_in_as_another_user_without_a_command() -> None:
    assert hosts.ssh_argv(HOST, user="kxadmin")[-1] == "kxadmin@10.77.0.11"


def test_hosts_file_names_every_host() -> None:
    text = hosts.hosts_file(3)

    assert text.startswith("127.0.0.1 localhost\n")
    assert "10.77.0.13 kxnode3\n" in text
    assert "kxnode4" not in text


def fake_template(tmp_path: Path) -> Paths:
    """A lab root whose host kxnode1 has an already-'mounted' root with a passwd file."""
    paths = Paths(tmp_path)
    root = paths.host_dir("kxnode1") / "root"
    (root / "etc").mkdir(parents=True)
    (root / "home/kxadmin").mkdir(parents=True)
    (root / "root").mkdir()
    uid, gid = os.getuid(), os.getgid()
    (root / "etc/passwd").write_text(f"root:x:0:0::/root:/bin/sh\nkxadmin:x:{uid}:{gid}::/h:/b\n")
    (root / "etc/shadow").write_text("root:*:20000:0:99999:7:::\nkxadmin:!:20000:0:99999:7:::\n")
    paths.secrets.mkdir()
    paths.private_key.with_suffix(".pub").write_text("ssh-ed25519 AAAA kubexm-lab\n")
    return paths


def test_create_mounts_the_overlay_and_writes_the_identity(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    paths = fake_template(tmp_path)
    calls: list[tuple[list[str], str | None]] = []
    netns: list[tuple[str, str, str]] = []
    monkeypatch.setattr(hosts.network, "ensure_netns", lambda *a: netns.append(a))
    monkeypatch.setattr(hosts, "is_mount_point", lambda path: False)

    def fake_run(argv: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        calls.append((argv, stdin))
        return subprocess.CompletedProcess(argv, 0, "$6$salt$hash\n", "")

    monkeypatch.setattr(hosts, "run", fake_run)

    hosts.create(paths, 1, 2, Path("/tpl"), "pw")

    root = paths.host_dir("kxnode1") / "root"
    mount, hashing = calls
    assert netns == [("kxnode1", "kxv1", "10.77.0.11")]
    assert mount[0][:4] == ["mount", "-t", "overlay", "kubexm-lab-kxnode1"]
    assert mount[0][5].startswith("lowerdir=/tpl,upperdir=")
    assert hashing == (["openssl", "passwd", "-6", "-stdin"], "pw\n")
    assert "kxadmin:$6$salt$hash:20000:" in (root / "etc/shadow").read_text()
    assert (root / "etc/hostname").read_text() == "kxnode1\n"
    assert "10.77.0.12 kxnode2" in (root / "etc/hosts").read_text()
    keys = root / "home/kxadmin/.ssh/authorized_keys"
    assert keys.read_text() == "ssh-ed25519 AAAA kubexm-lab\n"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert (root / "root/.ssh/authorized_keys").exists()


def test_create_keeps_a_mounted_root_as_it_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    paths = fake_template(tmp_path)
    monkeypatch.setattr(hosts.network, "ensure_netns", lambda *a: None)
    monkeypatch.setattr(hosts, "is_mount_point", lambda path: True)
    monkeypatch.setattr(hosts, "run", lambda *a, **k: pytest.fail("ran a command"))

    hosts.create(paths, 1, 2, Path("/tpl"), "pw")
    assert not (paths.host_dir("kxnode1") / "root/etc/hostname").exists()


def test_template_without_the_sudo_user_is_a_lab_error(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\n")

    with pytest.raises(LabError, match="no user kxadmin"):
        hosts._user_ids(tmp_path, "kxadmin")


def test_supervisor_pid_ignores_missing_stale_and_foreign_pids(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    pid_file = paths.host_dir("kxnode1") / "supervisor.pid"
    assert hosts.supervisor_pid(paths, "kxnode1") is None

    pid_file.parent.mkdir(parents=True)
    pid_file.write_text(f"{os.getpid()}\n")  # alive, but it is pytest, not a supervisor
    assert hosts.supervisor_pid(paths, "kxnode1") is None
    pid_file.write_text("garbage")
    assert hosts.supervisor_pid(paths, "kxnode1") is None


def test_supervisor_pid_finds_a_live_supervisor(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    fake = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "kubexm.lab.supervisor", "kxnode1"]
    )
    try:
        (paths.host_dir("kxnode1")).mkdir(parents=True)
        (paths.host_dir("kxnode1") / "supervisor.pid").write_text(f"{fake.pid}\n")

        assert hosts.supervisor_pid(paths, "kxnode1") == fake.pid
        assert hosts.supervisor_pid(paths, "kxnode2") is None
    finally:
        fake.kill()
        fake.wait()


def test_port_open_tells_listening_from_closed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert hosts.port_open("127.0.0.1", port)
    assert not hosts.port_open("127.0.0.1", port, timeout=0.2)


def test_ssh_ready_needs_an_open_port_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hosts, "port_open", lambda address, port: False)
    monkeypatch.setattr(hosts, "run", lambda *a, **k: pytest.fail("ran ssh"))

    assert hosts.ssh_ready(HOST) is False


def test_ssh_ready_runs_true_over_ssh(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(hosts, "port_open", lambda address, port: True)

    def fake_run(argv: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        seen.append(argv)
        return subprocess.CompletedProcess(argv, 0)

    monkeypatch.setattr(hosts, "run", fake_run)

    assert hosts.ssh_ready(HOST) is True
    assert seen[0][-1] == "true"


def test_wait_ready_returns_once_every_host_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([False, True])
    monkeypatch.setattr(hosts, "ssh_ready", lambda host: next(answers))
    monkeypatch.setattr(hosts, "supervisor_pid", lambda paths, name: 42)
    monkeypatch.setattr(hosts.time, "sleep", lambda s: None)

    hosts.wait_ready(Paths(), [HOST], timeout=5)


def test_wait_ready_times_out_naming_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hosts, "ssh_ready", lambda host: False)
    monkeypatch.setattr(hosts, "supervisor_pid", lambda paths, name: 42)

    with pytest.raises(LabError, match="no ssh on kxnode1") as caught:
        hosts.wait_ready(Paths(), [HOST], timeout=0)
    assert "nspawn.log" in caught.value.hint


def test_wait_ready_fails_at_once_when_the_host_died(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hosts, "ssh_ready", lambda host: False)
    monkeypatch.setattr(hosts, "supervisor_pid", lambda paths, name: None)

    with pytest.raises(LabError, match="kxnode1 stopped while booting"):
        hosts.wait_ready(Paths(), [HOST], timeout=60)


def test_boot_is_a_no_op_for_a_running_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hosts, "supervisor_pid", lambda paths, name: 42)
    monkeypatch.setattr(hosts, "run", lambda *a, **k: pytest.fail("started a supervisor"))

    hosts.boot(Paths(), "kxnode1")


def test_boot_reports_a_supervisor_that_never_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    paths = Paths(tmp_path)
    paths.host_dir("kxnode1").mkdir(parents=True)
    started: list[list[str]] = []
    monkeypatch.setattr(hosts, "supervisor_pid", lambda paths, name: None)
    monkeypatch.setattr(hosts, "run", lambda argv, timeout: started.append(argv))
    clock = iter([0.0, 0.0, 100.0])
    monkeypatch.setattr(hosts.time, "monotonic", lambda: next(clock))

    with pytest.raises(LabError, match="supervisor did not start"):
        hosts.boot(paths, "kxnode1")
    assert started[0][-2:] == ["kxnode1", str(paths.host_dir("kxnode1"))]


def test_stop_kills_what_did_not_power_off(monkeypatch: pytest.MonkeyPatch) -> None:
    killed: list[list[Path]] = []
    signals: list[tuple[int, int]] = []
    monkeypatch.setattr(hosts, "supervisor_pid", lambda paths, name: 4242)
    monkeypatch.setattr(hosts.os, "kill", lambda pid, sig: signals.append((pid, sig)))
    monkeypatch.setattr(hosts, "recorded_cgroups", lambda paths, name: [Path("/cg/x")])
    monkeypatch.setattr(hosts.cgroup, "tasks", lambda dirs: [])
    monkeypatch.setattr(hosts.cgroup, "kill_tasks", lambda dirs: killed.append(dirs) or 1)

    hosts.stop(Paths(), "kxnode1", timeout=0)

    assert signals == [(4242, hosts.signal.SIGTERM)]
    assert killed == [[Path("/cg/x")]]


def test_stop_of_a_stopped_host_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hosts, "supervisor_pid", lambda paths, name: None)
    monkeypatch.setattr(hosts, "recorded_cgroups", lambda paths, name: [])
    monkeypatch.setattr(hosts.cgroup, "kill_tasks", lambda dirs: pytest.fail("killed"))

    hosts.stop(Paths(), "kxnode1")


def test_recorded_cgroups_reads_the_list(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    assert hosts.recorded_cgroups(paths, "kxnode1") == []
    paths.host_dir("kxnode1").mkdir(parents=True)
    (paths.host_dir("kxnode1") / "cgroups.list").write_text("/a/b\n/c/d\n")

    assert hosts.recorded_cgroups(paths, "kxnode1") == [Path("/a/b"), Path("/c/d")]


def test_destroy_removes_everything_and_reports_leftovers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    paths = Paths(tmp_path)
    (paths.host_dir("kxnode1") / "upper").mkdir(parents=True)
    order: list[str] = []
    monkeypatch.setattr(hosts, "stop", lambda paths, name: order.append("stop"))
    monkeypatch.setattr(hosts.cgroup, "remove", lambda dirs: [Path("/cg/busy")])
    monkeypatch.setattr(
        hosts.network, "delete_netns", lambda name, veth=None: order.append("netns")
    )

    def fake_remove(top: Path) -> None:
        order.append("remove")
        shutil.rmtree(top)

    monkeypatch.setattr(hosts, "remove_tree", fake_remove)

    problems = hosts.destroy(paths, "kxnode1")

    assert order == ["stop", "remove", "netns"]
    assert problems == ["cgroup /cg/busy"]
    assert not paths.host_dir("kxnode1").exists()


def test_destroy_reports_a_root_that_stays_mounted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    paths = Paths(tmp_path)
    paths.host_dir("kxnode1").mkdir(parents=True)
    monkeypatch.setattr(hosts, "stop", lambda paths, name: None)
    monkeypatch.setattr(hosts.cgroup, "remove", lambda dirs: [])
    monkeypatch.setattr(hosts.network, "delete_netns", lambda name, veth=None: None)

    def busy(top: Path) -> None:
        raise LabError(f"{top} still has mounts below it")

    monkeypatch.setattr(hosts, "remove_tree", busy)

    problems = hosts.destroy(paths, "kxnode1")

    assert problems[0].endswith("still has mounts below it")
    assert problems[1] == f"directory {paths.host_dir('kxnode1')}"


def test_shadow_with_password_changes_only_that_user() -> None:
    text = "root:*:1:0:::::\nkxadmin:!:1:0:::::\n"

    assert (
        hosts.shadow_with_password(text, "kxadmin", "$6$x")
        == "root:*:1:0:::::\nkxadmin:$6$x:1:0:::::\n"
    )
    with pytest.raises(LabError, match="no user bob"):
        hosts.shadow_with_password(text, "bob", "$6$x")


def test_set_password_hashes_through_stdin(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/shadow").write_text("kxadmin:!:1:0:::::\n")

    hosts.set_password(tmp_path, "kxadmin", "not-in-argv")

    field = (tmp_path / "etc/shadow").read_text().split(":")[1]
    assert field.startswith("$6$") and "not-in-argv" not in field
