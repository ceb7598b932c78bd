"""`lab up` then `lab down` on a clean machine leaves it exactly as it was.

Runs before the session's ``lab`` fixture is created (file order) and skips when a lab is
already up, so it never destroys hosts that other tests or a developer are using.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from kubexm.lab import Paths, down, lease_holders, leftovers, load_state, up
from kubexm.lab import cgroup as lab_cgroup
from kubexm.lab.lab import lab_processes
from kubexm.lab.system import check_prerequisites, mounts

pytestmark = pytest.mark.lab


def machine_snapshot() -> dict[str, list[str]]:
    """What the lab could leave behind: mounts, links, namespaces, cgroups, processes."""
    netns = Path("/run/netns")
    return {
        "mounts": sorted(f"{p} {s}" for p, s in mounts()),
        "links": sorted(os.listdir("/sys/class/net")),
        "netns": sorted(os.listdir(netns)) if netns.is_dir() else [],
        "cgroups": sorted(str(d) for d in lab_cgroup.leftover_groups()),
        "processes": [str(p) for p in lab_processes()],
    }


@pytest.fixture
def clean_machine() -> Paths:
    try:
        check_prerequisites()
    except Exception as error:
        pytest.skip(f"lab unavailable: {error}")
    paths = Paths()
    if load_state(paths) is not None or lease_holders(paths):
        pytest.skip("a lab is up or in use; this test would tear it down")
    return paths


def test_lab_down_leaves_the_machine_as_it_was(clean_machine: Paths) -> None:
    before = machine_snapshot()

    started = time.monotonic()
    result = up(2, paths=clean_machine)
    up_seconds = time.monotonic() - started
    during = machine_snapshot()
    down_seconds = down(clean_machine)
    after = machine_snapshot()

    sys.stderr.write(f"\nlab cycle: up 2 in {up_seconds:.1f} s, down in {down_seconds:.1f} s\n")
    assert len(result.state.hosts) == 2
    assert "kxv1" in during["links"] and "kx0" in during["links"]
    assert len(during["processes"]) >= 4  # two supervisors, two nspawns
    assert leftovers(clean_machine) == []
    assert after == before
    assert not clean_machine.state_file.exists()
