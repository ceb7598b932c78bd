"""Local commands, prerequisite checks and mount parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubexm.errors import LabError
from kubexm.lab import system

MOUNTINFO = """\
22 1 252:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
90 22 0:50 / /run/systemd/nspawn rw - tmpfs kubexm-lab-nspawn rw,size=16384k
91 22 0:51 / /var/tmp/kubexm-lab/hosts/kxnode1/root rw - overlay kubexm-lab-kxnode1 rw
92 22 0:52 / /mnt/with\\040space rw - tmpfs none rw
"""


def test_run_returns_the_output() -> None:
    done = system.run(["sh", "-c", "cat; echo err >&2"], stdin="hello")

    assert (done.stdout, done.stderr) == ("hello", "err\n")


def test_run_failure_names_the_command_and_its_last_error_line() -> None:
    with pytest.raises(LabError, match=r"`sh -c .*` failed \(exit 3\): second"):
        system.run(["sh", "-c", "echo first >&2; echo second >&2; exit 3"])


def test_run_without_check_returns_the_exit_code() -> None:
    assert system.run(["sh", "-c", "exit 4"], check=False).returncode == 4


def test_run_of_a_missing_tool_points_at_the_prereqs_script() -> None:
    with pytest.raises(LabError, match="not installed") as caught:
        system.run(["kubexm-no-such-tool-anywhere"])
    assert "lab-prereqs.sh" in caught.value.hint


def test_run_past_its_timeout_is_a_lab_error() -> None:
    with pytest.raises(LabError, match="ran past"):
        system.run(["sleep", "5"], timeout=0.2)


def test_run_passes_extra_environment() -> None:
    done = system.run(["sh", "-c", "echo $KX_PROBE"], env={"KX_PROBE": "yes"})

    assert done.stdout.strip() == "yes"


def test_missing_tools_lists_only_absent_ones() -> None:
    found = system.missing_tools({"sh": "dash", "kubexm-no-such-tool": "none"})

    assert found == ["kubexm-no-such-tool"]


def test_prerequisites_refuse_non_root() -> None:
    with pytest.raises(LabError, match="needs root") as caught:
        system.check_prerequisites(euid=1000, missing=[])
    assert "root" in caught.value.hint


def test_prerequisites_name_missing_tools_and_their_packages() -> None:
    with pytest.raises(LabError, match="debootstrap, systemd-nspawn") as caught:
        system.check_prerequisites(euid=0, missing=["debootstrap", "systemd-nspawn"])
    assert "debootstrap systemd-container" in caught.value.hint


def test_prerequisites_pass_for_root_with_every_tool() -> None:
    system.check_prerequisites(euid=0, missing=[])


def test_mounts_parses_points_and_sources_with_escapes() -> None:
    found = system.mounts(MOUNTINFO)

    assert ("/run/systemd/nspawn", "kubexm-lab-nspawn") in found
    assert ("/mnt/with space", "none") in found
    assert system.mount_points(MOUNTINFO)[0] == "/"


def test_is_mount_point_sees_the_root_filesystem() -> None:
    assert system.is_mount_point(Path("/"))


def test_unmount_below_goes_deepest_first_and_falls_back_to_lazy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = MOUNTINFO + "93 91 0:53 / /var/tmp/kubexm-lab/hosts/kxnode1/root/proc rw - proc p rw\n"
    parse = system.mounts
    monkeypatch.setattr(system, "mounts", lambda mountinfo=None: parse(text))
    calls: list[list[str]] = []

    def fake_run(argv: list[str], check: bool = True) -> object:
        calls.append(argv)
        return type("Done", (), {"returncode": 1 if argv[-1].endswith("/proc") else 0})()

    monkeypatch.setattr(system, "run", fake_run)

    found = system.unmount_below(Path("/var/tmp/kubexm-lab/hosts"))

    assert len(found) == 2
    assert calls[0] == ["umount", "/var/tmp/kubexm-lab/hosts/kxnode1/root/proc"]
    assert calls[1] == ["umount", "--lazy", "/var/tmp/kubexm-lab/hosts/kxnode1/root/proc"]
    assert calls[2] == ["umount", "/var/tmp/kubexm-lab/hosts/kxnode1/root"]


def test_remove_tree_unmounts_first_then_deletes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "scratch"
    (target / "proc").mkdir(parents=True)
    mounted = [str(target / "proc")]
    monkeypatch.setattr(system, "mount_points", lambda: list(mounted))
    monkeypatch.setattr(system, "unmount_below", lambda root: mounted.clear() or [])

    system.remove_tree(target)

    assert not target.exists()


def test_remove_tree_refuses_while_something_stays_mounted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "dev").mkdir()
    monkeypatch.setattr(system, "mount_points", lambda: [str(tmp_path / "dev")])
    monkeypatch.setattr(system, "unmount_below", lambda root: [])

    with pytest.raises(LabError, match="still has mounts"):
        system.remove_tree(tmp_path)
    assert (tmp_path / "dev").exists()


def test_remove_tree_of_nothing_is_a_no_op(tmp_path: Path) -> None:
    system.remove_tree(tmp_path / "absent")
