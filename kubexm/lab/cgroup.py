"""Per-host cgroup subtrees: ``<caller's cgroup>/kubexm-lab/<host>`` in every hierarchy.

The supervisor moves itself there before it starts nspawn, so each container gets its own
cgroup-namespace root: runc's cgroups of different hosts cannot collide, and a host's memory and
tasks can be read. Teardown kills whatever is left in the subtree and removes it depth-first.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from kubexm.lab.layout import CGROUP_GROUP

CGROUP_FS = Path("/sys/fs/cgroup")


def own_cgroup_dirs(proc_cgroup: str, fs_root: Path = CGROUP_FS) -> list[Path]:
    """Directories of the caller's cgroups, one per mounted hierarchy, from /proc/self/cgroup.

    On a hybrid (v1 + v2) machine the v2 entry ``0::/path`` lives under ``unified``;
    hierarchies whose directory is not mounted are left out.
    """
    unified = fs_root / "unified" if (fs_root / "unified").is_dir() else fs_root
    dirs = []
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        base = unified if controllers == "" else fs_root / controllers.removeprefix("name=")
        target = base / path.lstrip("/")
        if target.is_dir():
            dirs.append(target)
    return dirs


def host_cgroup_dirs(own_dirs: list[Path], name: str) -> list[Path]:
    """Where host ``name``'s subtree lives in each hierarchy."""
    return [own / CGROUP_GROUP / name for own in own_dirs]


def enter(name: str, proc_cgroup: str | None = None, fs_root: Path = CGROUP_FS) -> list[Path]:
    """Create host ``name``'s cgroups and move the calling process into them.

    cpuset groups start empty in v1 and refuse tasks, so cpus/mems are copied from the parent.
    Returns the host's cgroup directories (to record for ``leave`` and ``remove``); OSError
    when the cgroup filesystem refuses (not root, or controllers missing).
    """
    text = proc_cgroup if proc_cgroup is not None else Path("/proc/self/cgroup").read_text()
    own = own_cgroup_dirs(text, fs_root)
    targets = host_cgroup_dirs(own, name)
    for target in targets:
        target.mkdir(parents=True, exist_ok=True)
        if (target / "cpuset.cpus").exists():
            for knob in ("cpuset.cpus", "cpuset.mems"):
                _copy_knob(target.parent.parent / knob, target.parent / knob)
                _copy_knob(target.parent / knob, target / knob)
        (target / "cgroup.procs").write_text(f"{os.getpid()}\n")
    return targets


def _copy_knob(source: Path, target: Path) -> None:
    value = source.read_text().strip()
    if target.read_text().strip() != value:
        target.write_text(value + "\n")


def leave(host_dirs: list[Path]) -> None:
    """Move the calling process back to where it came from (the group's parent).

    Done before the supervisor exits: the machine's PID 1 reaps orphans late and a zombie
    would keep the host's cgroups busy.
    """
    for host_dir in host_dirs:
        try:
            (host_dir.parent.parent / "cgroup.procs").write_text(f"{os.getpid()}\n")
        except OSError:
            continue


def tasks(host_dirs: list[Path]) -> list[int]:
    """PIDs of every task in the host's subtrees (all hierarchies, all depths)."""
    found: set[int] = set()
    for host_dir in host_dirs:
        for procs in host_dir.rglob("cgroup.procs") if host_dir.is_dir() else []:
            try:
                found.update(int(p) for p in procs.read_text().split())
            except OSError:
                continue
    return sorted(found)


def kill_tasks(host_dirs: list[Path]) -> int:
    """SIGKILL every task still in the host's subtrees; returns how many were signalled."""
    pids = tasks(host_dirs)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    return len(pids)


def remove(host_dirs: list[Path], wait: float = 5.0) -> list[Path]:
    """Remove the host's subtrees depth-first, retrying while just-killed tasks exit.

    Returns the directories that still exist after ``wait`` seconds (empty on success). The
    shared ``kubexm-lab`` group is removed too once no host is left in it.
    """
    deadline = time.monotonic() + wait
    left = [d for d in host_dirs if d.exists()]
    while left:
        for host_dir in left:
            _rmdir_tree(host_dir)
        left = [d for d in left if d.exists()]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    for group in {d.parent for d in host_dirs}:
        try:
            group.rmdir()
        except OSError:
            continue
    return left


def _rmdir_tree(top: Path) -> None:
    subdirs = sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
    for directory in [*subdirs, top]:
        try:
            directory.rmdir()
        except OSError:
            continue


def leftover_groups(proc_cgroup: str | None = None, fs_root: Path = CGROUP_FS) -> list[Path]:
    """The ``kubexm-lab`` groups that exist below the caller's cgroups (empty when clean)."""
    text = proc_cgroup if proc_cgroup is not None else Path("/proc/self/cgroup").read_text()
    own = own_cgroup_dirs(text, fs_root)
    return [d / CGROUP_GROUP for d in own if (d / CGROUP_GROUP).exists()]
