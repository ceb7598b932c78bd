"""The lab hosts behave like real machines: own identity, systemd, ssh, sudo, reboot, power."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from ruamel.yaml import YAML

from kubexm.errors import LabError
from kubexm.lab import LabTopology, RunningLab, lab_cluster_yaml, load_state, status
from kubexm.lab.hosts import port_open

pytestmark = pytest.mark.lab


def boot_id(lab: RunningLab, name: str) -> str:
    return lab.ssh(name, "cat /proc/sys/kernel/random/boot_id").stdout.strip()


def wait_for(predicate: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.3)


def test_each_host_has_its_own_hostname_and_address(lab: RunningLab) -> None:
    for host in lab.hosts:
        out = lab.ssh(host.name, "hostname; ip -4 -o addr show dev eth0").stdout.split("\n")

        assert out[0] == host.name
        assert f"inet {host.address}/24" in out[1]


def test_hosts_run_systemd_as_pid_1(lab: RunningLab) -> None:
    for host in lab.hosts:
        done = lab.ssh(host.name, "systemctl is-system-running --wait", check=False)
        virt = lab.ssh(host.name, "systemd-detect-virt; cat /proc/1/comm").stdout.split()

        assert done.stdout.strip() in ("running", "degraded")
        assert virt == ["systemd-nspawn", "systemd"]


def test_root_logs_in_with_the_lab_key(lab: RunningLab) -> None:
    assert lab.ssh(lab.hosts[0].name, "id -u").stdout.strip() == "0"


def test_kxadmin_needs_its_password_for_sudo(lab: RunningLab) -> None:
    host = lab.hosts[0]

    without = lab.ssh(host.name, "sudo -k; sudo -n true", user=host.sudo_user, check=False)
    with_password = lab.ssh(
        host.name,
        "sudo -k; sudo -S -p '' id -u",
        user=host.sudo_user,
        stdin=host.sudo_password + "\n",
    )

    assert lab.ssh(host.name, "id -un", user=host.sudo_user).stdout.strip() == "kxadmin"
    assert without.returncode != 0
    assert with_password.stdout.strip() == "0"


def test_hosts_have_separate_disks_and_reach_each_other(lab: RunningLab) -> None:
    first, second = lab.hosts[0], lab.hosts[-1]
    lab.ssh(first.name, "echo only-here > /root/kx-separate")

    probe = f"python3 -c \"import socket; socket.create_connection(('{second.address}', 22), 3)\""

    assert lab.ssh(second.name, "test -e /root/kx-separate", check=False).returncode == 1
    assert lab.ssh(first.name, probe, check=False).returncode == 0
    assert "default" not in lab.ssh(first.name, "ip route").stdout


def test_reboot_inside_a_host_brings_it_back_with_its_disk(lab: RunningLab) -> None:
    name = lab.hosts[-1].name
    lab.ssh(name, "echo kept > /root/kx-reboot-marker")
    old_boot = boot_id(lab, name)

    lab.ssh(name, "systemctl reboot", check=False)
    wait_for(lambda: _ssh_boot_id(lab, name) not in ("", old_boot))

    assert lab.ssh(name, "cat /root/kx-reboot-marker").stdout.strip() == "kept"
    boots = lab.ssh(name, "journalctl --list-boots --no-pager -q").stdout.strip().splitlines()
    assert len(boots) >= 2  # one line per boot (-q drops the header)


def _ssh_boot_id(lab: RunningLab, name: str) -> str:
    try:
        return boot_id(lab, name)
    except LabError:
        return ""


def test_stopped_host_is_unreachable_until_started(lab: RunningLab) -> None:
    host = lab.hosts[-1]
    lab.ssh(host.name, "echo kept > /root/kx-power-marker")

    lab.stop(host.name)
    stopped = {s.name: s for s in status()}[host.name]
    reachable_while_stopped = port_open(host.address, host.port, timeout=1)
    lab.start(host.name)

    assert not stopped.running and not stopped.ssh
    assert not reachable_while_stopped
    assert lab.ssh(host.name, "cat /root/kx-power-marker").stdout.strip() == "kept"
    assert all(s.running and s.ssh for s in status())


def test_lab_config_describes_the_hosts(lab: RunningLab) -> None:
    state = load_state(lab.paths)
    assert state is not None

    doc = YAML(typ="safe").load(lab_cluster_yaml(state, LabTopology(masters=1)))

    assert [h["address"] for h in doc["spec"]["hosts"]] == [h.address for h in lab.hosts]
    assert doc["spec"]["roleGroups"]["master"] == [lab.hosts[0].name]
