"""Per-host cgroup subtrees, on a directory tree shaped like /sys/fs/cgroup."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kubexm.lab import cgroup

PROC_CGROUP = """\
9:name=systemd:/
4:memory:/process_api/abc
3:cpuset:/
1:cpu,cpuacct:/
0::/
8:pids:/not-mounted-here
"""


@pytest.fixture
def fs(tmp_path: Path) -> Path:
    for rel in ("systemd", "memory/process_api/abc", "cpuset", "cpu,cpuacct", "unified", "pids"):
        (tmp_path / rel).mkdir(parents=True)
    for knob, value in (("cpuset.cpus", "0-1"), ("cpuset.mems", "0")):
        (tmp_path / "cpuset" / knob).write_text(value + "\n")
    return tmp_path


def test_own_dirs_follow_each_hierarchy(fs: Path) -> None:
    dirs = cgroup.own_cgroup_dirs(PROC_CGROUP, fs)

    assert dirs == [
        fs / "systemd",
        fs / "memory/process_api/abc",
        fs / "cpuset",
        fs / "cpu,cpuacct",
        fs / "unified",
    ]


def test_host_dirs_sit_in_the_lab_group(fs: Path) -> None:
    dirs = cgroup.host_cgroup_dirs([fs / "memory"], "kxnode1")

    assert dirs == [fs / "memory" / "kubexm-lab" / "kxnode1"]


def test_enter_creates_the_subtree_copies_cpuset_and_joins(fs: Path) -> None:
    for rel in ("cpuset/kubexm-lab", "cpuset/kubexm-lab/kxnode1"):
        (fs / rel).mkdir(parents=True)
        for knob in ("cpuset.cpus", "cpuset.mems"):
            (fs / rel / knob).write_text("\n")

    dirs = cgroup.enter("kxnode1", "3:cpuset:/\n4:memory:/process_api/abc\n", fs)

    cpuset = fs / "cpuset/kubexm-lab/kxnode1"
    assert dirs == [cpuset, fs / "memory/process_api/abc/kubexm-lab/kxnode1"]
    assert (cpuset / "cpuset.cpus").read_text() == "0-1\n"
    assert (fs / "cpuset/kubexm-lab/cpuset.mems").read_text() == "0\n"
    assert all((d / "cgroup.procs").read_text() == f"{os.getpid()}\n" for d in dirs)


def test_leave_moves_back_to_the_original_group(fs: Path) -> None:
    host = fs / "memory/process_api/abc/kubexm-lab/kxnode1"
    host.mkdir(parents=True)

    cgroup.leave([host, fs / "gone/kubexm-lab/kxnode1"])

    assert (fs / "memory/process_api/abc/cgroup.procs").read_text() == f"{os.getpid()}\n"


def test_tasks_collects_pids_from_every_depth(fs: Path) -> None:
    host = fs / "memory/kubexm-lab/kxnode1"
    (host / "k8s.io/abc").mkdir(parents=True)
    (host / "cgroup.procs").write_text("10\n11\n")
    (host / "k8s.io/abc/cgroup.procs").write_text("12\n10\n")

    assert cgroup.tasks([host, fs / "missing"]) == [10, 11, 12]


def test_kill_tasks_kills_what_is_listed(fs: Path) -> None:
    sleeper = subprocess.Popen(["sleep", "30"])
    host = fs / "pids/kubexm-lab/kxnode1"
    host.mkdir(parents=True)
    (host / "cgroup.procs").write_text(f"{sleeper.pid}\n")

    assert cgroup.kill_tasks([host]) == 1
    assert sleeper.wait(timeout=5) == -9


def test_remove_deletes_depth_first_and_the_empty_group(fs: Path) -> None:
    host = fs / "memory/kubexm-lab/kxnode1"
    (host / "k8s.io/a/b").mkdir(parents=True)

    assert cgroup.remove([host], wait=0.5) == []
    assert not (fs / "memory/kubexm-lab").exists()


def test_remove_reports_what_stays_and_keeps_a_shared_group(fs: Path) -> None:
    host = fs / "memory/kubexm-lab/kxnode1"
    host.mkdir(parents=True)
    (host / "pinned").write_text("a regular file keeps rmdir from succeeding")
    (fs / "memory/kubexm-lab/kxnode2").mkdir()

    assert cgroup.remove([host], wait=0.3) == [host]
    assert (fs / "memory/kubexm-lab/kxnode2").exists()


def test_leftover_groups_finds_the_lab_group(fs: Path) -> None:
    (fs / "memory/process_api/abc/kubexm-lab").mkdir()

    assert cgroup.leftover_groups(PROC_CGROUP, fs) == [fs / "memory/process_api/abc/kubexm-lab"]
