"""The lab as a whole, with hosts, network and machine calls replaced."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from kubexm.errors import LabError
from kubexm.lab import lab
from kubexm.lab.layout import LabState, Paths, load_state, save_state
from kubexm.lab.template import TemplateInfo


def state_of(paths: Paths, count: int, os_name: str = "bookworm") -> LabState:
    return LabState(os_name, lab.planned_hosts(paths, count, "pw"))


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Replace everything that touches the machine; records what was done, in order."""
    done: list[str] = []
    monkeypatch.setattr(lab, "check_prerequisites", lambda **k: None)
    monkeypatch.setattr(
        lab, "ensure_template", lambda paths, os_name: TemplateInfo(os_name, tmp_path / "t", 61.0)
    )
    monkeypatch.setattr(lab, "template_is_current", lambda paths, os_name: True)
    monkeypatch.setattr(lab, "ensure_secrets", lambda paths: "pw")
    monkeypatch.setattr(lab, "_ensure_nspawn_runtime", lambda: done.append("tmpfs") or True)
    monkeypatch.setattr(lab.network, "ensure_bridge", lambda: done.append("bridge") or True)
    monkeypatch.setattr(lab.network, "delete_bridge", lambda: done.append("del-bridge"))
    monkeypatch.setattr(lab.hosts, "create", lambda p, i, n, t, pw: done.append(f"create{i}"))
    monkeypatch.setattr(lab.hosts, "boot", lambda p, name: done.append(f"boot {name}"))
    monkeypatch.setattr(lab.hosts, "wait_ready", lambda p, hs, *a: done.append(f"ready{len(hs)}"))
    monkeypatch.setattr(lab.hosts, "stop", lambda p, name: done.append(f"stop {name}"))
    monkeypatch.setattr(lab.hosts, "destroy", lambda p, name: done.append(f"destroy {name}") or [])
    monkeypatch.setattr(lab, "_release_shared_mounts", lambda: done.append("release"))
    monkeypatch.setattr(lab, "leftovers", lambda paths: [])
    return done


def test_up_builds_network_then_boots_each_host_and_saves_state(
    machine: list[str], tmp_path: Path
) -> None:
    paths = Paths(tmp_path)

    result = lab.up(2, paths=paths)

    boots = ["create1", "boot kxnode1", "create2", "boot kxnode2"]
    assert machine == ["tmpfs", "bridge", *boots, "ready2"]
    assert result.template_seconds == 61.0
    saved = load_state(paths)
    assert saved is not None and saved.created_bridge and saved.mounted_nspawn_tmpfs
    assert [h.address for h in saved.hosts] == ["10.77.0.11", "10.77.0.12"]


def test_up_again_with_the_same_size_only_boots(machine: list[str], tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    save_state(paths, state_of(paths, 1))

    lab.up(1, paths=paths)

    assert "boot kxnode1" in machine


@pytest.mark.parametrize(
    ("count", "os_name", "match"),
    [
        (0, "bookworm", "cannot make 0"),
        (51, "bookworm", "cannot make 51"),
        (2, "centos", "unsupported lab OS"),
        (3, "bookworm", "already up"),
        (2, "trixie", "already up"),
    ],
    ids=["zero", "too-many", "bad-os", "other-size", "other-os"],
)
def test_up_refuses_bad_requests(
    machine: list[str], tmp_path: Path, count: int, os_name: str, match: str
) -> None:
    paths = Paths(tmp_path)
    save_state(paths, state_of(paths, 2))

    with pytest.raises(LabError, match=match):
        lab.up(count, os_name, paths=paths)
    assert machine == []


def test_up_refuses_when_the_template_changed_under_running_hosts(
    machine: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    paths = Paths(tmp_path)
    save_state(paths, state_of(paths, 2))
    monkeypatch.setattr(lab, "template_is_current", lambda paths, os_name: False)

    with pytest.raises(LabError, match="template changed"):
        lab.up(2, paths=paths)


def test_down_destroys_hosts_of_state_and_strays_then_the_bridge(
    machine: list[str], tmp_path: Path
) -> None:
    paths = Paths(tmp_path)
    state = state_of(paths, 1)
    state.created_bridge = True
    save_state(paths, state)
    (paths.host_dir("kxnode7")).mkdir(parents=True)

    seconds = lab.down(paths)

    assert machine == ["destroy kxnode1", "destroy kxnode7", "del-bridge", "release"]
    assert seconds >= 0
    assert not paths.state_file.exists()


def test_down_keeps_a_bridge_it_did_not_create(machine: list[str], tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    save_state(paths, state_of(paths, 1))

    lab.down(paths)

    assert "del-bridge" not in machine


def test_down_reports_what_it_could_not_remove(
    machine: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(lab, "leftovers", lambda paths: ["netns kxnode1"])

    with pytest.raises(LabError, match="left netns kxnode1"):
        lab.down(Paths(tmp_path))


def test_stop_and_start_check_the_name(machine: list[str], tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    save_state(paths, state_of(paths, 2))

    lab.stop_host("kxnode2", paths)
    lab.start_host("kxnode2", paths)

    assert machine == ["stop kxnode2", "boot kxnode2", "ready1"]
    with pytest.raises(LabError, match="no lab host named 'kxnode3'"):
        lab.stop_host("kxnode3", paths)


def test_stop_without_a_lab_says_to_bring_one_up(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="no lab is up") as caught:
        lab.start_host("kxnode1", Paths(tmp_path))
    assert "lab up" in caught.value.hint


def test_status_is_empty_without_a_lab(tmp_path: Path) -> None:
    assert lab.status(Paths(tmp_path)) == []


def test_status_reports_each_host(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    save_state(paths, state_of(paths, 2))
    monkeypatch.setattr(
        lab.hosts, "supervisor_pid", lambda p, name: 1 if name == "kxnode1" else None
    )
    monkeypatch.setattr(lab.hosts, "port_open", lambda address, port: address.endswith(".11"))

    rows = lab.status(paths)

    assert [(r.name, r.running, r.ssh) for r in rows] == [
        ("kxnode1", True, True),
        ("kxnode2", False, False),
    ]


def test_ensure_secrets_makes_key_and_password_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    paths = Paths(tmp_path)
    keygens: list[list[str]] = []

    def fake_run(argv: list[str]) -> None:
        keygens.append(argv)
        Path(argv[-1]).write_text("KEY")

    monkeypatch.setattr(lab, "run", fake_run)

    first = lab.ensure_secrets(paths)
    second = lab.ensure_secrets(paths)

    assert first == second and len(first) >= 20
    assert len(keygens) == 1 and keygens[0][0] == "ssh-keygen"
    assert stat.S_IMODE(paths.password_file.stat().st_mode) == 0o600
    assert first not in " ".join(keygens[0])


def yaml_of(text: str) -> dict[str, object]:
    loaded: dict[str, object] = YAML(typ="safe").load(text)
    return loaded


def test_running_lab_runs_commands_over_ssh(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    paths = Paths(tmp_path)
    running = lab.RunningLab(state_of(paths, 2).hosts, paths)
    seen: list[tuple[list[str], str | None]] = []

    def fake_run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        stdin = kw.get("stdin")
        seen.append((argv, stdin if isinstance(stdin, str) else None))
        return subprocess.CompletedProcess(argv, 0, "ok\n", "")

    monkeypatch.setattr(lab, "run", fake_run)

    out = running.ssh("kxnode2", "id -u", user="kxadmin", stdin="pw\n")

    assert out.stdout == "ok\n"
    assert seen == [(seen[0][0], "pw\n")]
    assert seen[0][0][-2:] == ["kxadmin@10.77.0.12", "id -u"]
    with pytest.raises(LabError, match="no lab host"):
        running.host("kxnode9")


def test_running_lab_stop_and_start_go_to_the_hosts(machine: list[str], tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    save_state(paths, state_of(paths, 1))
    running = lab.RunningLab(state_of(paths, 1).hosts, paths)

    running.stop("kxnode1")
    running.start("kxnode1")

    assert machine == ["stop kxnode1", "boot kxnode1", "ready1"]


def test_leftovers_and_processes_are_empty_on_a_clean_machine(tmp_path: Path) -> None:
    if Path("/run/netns").is_dir() and any(Path("/run/netns").glob("kxnode*")):
        pytest.skip("a lab is up on this machine")

    assert lab.lab_processes() == []
    assert lab.leftovers(Paths(tmp_path)) == []


def test_leases_count_only_live_holders(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    dead = subprocess.Popen(["true"])
    dead.wait()

    mine = lab.take_lease(paths)
    lab.take_lease(paths, pid=dead.pid)

    assert mine.name == str(os.getpid())
    assert lab.lease_holders(paths) == [os.getpid()]
    assert not (paths.root / "leases" / str(dead.pid)).exists()
    mine.unlink()
    assert lab.lease_holders(paths) == []
