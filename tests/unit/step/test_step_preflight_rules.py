"""Each preflight rule: fine on a healthy host, a finding with a fix on a broken one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pytest

from kubexm.step.preflight import CHECK_NAMES, Finding, HostProbe, Requirements, evaluate
from kubexm.step.preflight.rules import NOEXEC_STAGING_DIR

GOOD_FACTS: Mapping[str, object] = {
    "os_id": "debian",
    "os_version": "12",
    "os_name": "Debian GNU/Linux 12 (bookworm)",
    "arch": "amd64",
    "kernel": "6.1.0-18-amd64",
    "cgroup_version": 2,
    "init_system": "systemd",
    "cpus": 4,
    "memory_mib": 8000,
    "swap_active": False,
    "hostname": "node1",
    "selinux": "absent",
    "firewalls": (),
    "clock_offset_s": 0.1,
}
GOOD_PROBE = HostProbe(
    modules={"overlay": "loaded", "br_netfilter": "builtin"},
    tmp_options=("rw", "nosuid"),
    var_lib_free_mib=50_000,
    listening={22: "sshd"},
)
REQ = Requirements(
    roles=("master",),
    arch="amd64",
    min_cpus=2,
    min_memory_mib=3072,
    min_var_lib_mib=10_240,
    ports=(6443, 2379, 10250),
    modules=("overlay", "br_netfilter"),
    kubernetes_version="1.36.4",
)


def _run(
    item: str,
    facts: Mapping[str, object] | None = None,
    probe: HostProbe = GOOD_PROBE,
    req: Requirements = REQ,
) -> Finding | None:
    return evaluate(item, {**GOOD_FACTS, **(facts or {})}, probe, req)


@pytest.mark.parametrize("item", CHECK_NAMES)
def test_healthy_host_passes_every_check(item: str) -> None:
    assert _run(item) is None


ERRORS = [
    pytest.param("sudo", {}, replace(GOOD_PROBE, sudo_error="a password is required"),
                 REQ, "password is required", id="sudo-refused"),
    pytest.param("os", {"os_id": "debian", "os_version": "10"}, GOOD_PROBE, REQ,
                 "unsupported OS", id="os-debian-10"),
    pytest.param("os", {"os_id": "ubuntu", "os_version": "23.10"}, GOOD_PROBE, REQ,
                 "unsupported OS", id="os-ubuntu-non-lts"),
    pytest.param("arch", {"arch": "arm64"}, GOOD_PROBE, REQ, "config says arch: amd64",
                 id="arch-mismatch"),
    pytest.param("arch", {"arch": "ppc64le"}, GOOD_PROBE, replace(REQ, arch="ppc64le"),
                 "unsupported architecture", id="arch-unsupported"),
    pytest.param("kernel", {"kernel": "4.18.0-553.el8"}, GOOD_PROBE, REQ, "older than 4.19",
                 id="kernel-old"),
    pytest.param("cgroup", {"cgroup_version": 1}, GOOD_PROBE, REQ, "needs cgroup v2",
                 id="cgroup-v1-new-kubernetes"),
    pytest.param("cgroup", {"cgroup_version": 0}, GOOD_PROBE, REQ, "cgroup version",
                 id="cgroup-unknown"),
    pytest.param("cgroup", {}, GOOD_PROBE, replace(REQ, runtime_cgroup_driver="cgroupfs"),
                 "cgroup driver", id="cgroup-driver-mismatch"),
    pytest.param("cgroup", {"init_system": "sysvinit"}, GOOD_PROBE, REQ, "needs systemd",
                 id="cgroup-systemd-driver-without-systemd"),
    pytest.param("cpu", {"cpus": 1}, GOOD_PROBE, REQ, "1 CPUs, a master host needs 2",
                 id="cpu-short"),
    pytest.param("memory", {"memory_mib": 1500}, GOOD_PROBE, REQ, "needs 3072 MiB",
                 id="memory-short"),
    pytest.param("swap", {"swap_active": True}, GOOD_PROBE, replace(REQ, disable_swap=False),
                 "swap is on", id="swap-kept-by-config"),
    pytest.param("modules", {}, replace(GOOD_PROBE, modules={"overlay": "absent"}), REQ,
                 "overlay, br_netfilter", id="modules-missing"),
    pytest.param("hostname", {"hostname": "Node_1"}, GOOD_PROBE, REQ, "RFC 1123",
                 id="hostname-uppercase"),
    pytest.param("hostname-unique", {}, GOOD_PROBE, replace(REQ, same_hostname=("n2",)),
                 "also used by n2", id="hostname-duplicate"),
    pytest.param("address-unique", {}, GOOD_PROBE, replace(REQ, same_address=("n3",)),
                 "is also the address of n3", id="address-duplicate"),
    pytest.param("clock", {"clock_offset_s": -300.0}, GOOD_PROBE, REQ, "300.0s behind",
                 id="clock-behind"),
    pytest.param("ports", {}, replace(GOOD_PROBE, listening={10250: "python3", 6443: ""}), REQ,
                 "6443 (unknown process), 10250 (python3)", id="ports-taken"),
    pytest.param("disk", {}, replace(GOOD_PROBE, var_lib_free_mib=2048), REQ,
                 "2.0 GiB free under /var/lib, needs 10 GiB", id="disk-short"),
    pytest.param("leftovers", {}, replace(GOOD_PROBE, leftovers=("/var/lib/etcd",)), REQ,
                 "left /var/lib/etcd", id="leftovers-etcd"),
    pytest.param("runtime-version", {}, GOOD_PROBE, replace(REQ, runtime_version="1.7.20"),
                 "containerd 1.7.20 is too old", id="runtime-too-old"),
]  # fmt: skip


@pytest.mark.parametrize(("item", "facts", "probe", "req", "text"), ERRORS)
def test_broken_host_gets_an_error_with_a_fix(
    item: str, facts: dict[str, object], probe: HostProbe, req: Requirements, text: str
) -> None:
    finding = _run(item, facts, probe, req)
    assert finding is not None
    assert finding.level == "error"
    assert text in finding.message
    assert finding.fix


WARNINGS = [
    pytest.param("swap", {"swap_active": True}, GOOD_PROBE, "swap is on", id="swap-on"),
    pytest.param("swap", {}, replace(GOOD_PROBE, fstab_swap=True), "after a reboot",
                 id="swap-in-fstab"),
    pytest.param("selinux", {"selinux": "enforcing"}, GOOD_PROBE, "enforcing", id="selinux"),
    pytest.param("firewalld", {"firewalls": ("firewalld",)}, GOOD_PROBE, "firewalld is active",
                 id="firewalld"),
    pytest.param("tmp-noexec", {}, replace(GOOD_PROBE, tmp_options=("rw", "noexec")),
                 "noexec", id="tmp-noexec"),
    pytest.param("sudo", {}, replace(GOOD_PROBE, diagnostics=("[n1] sudo took 3.1s (over 2s)",)),
                 "sudo took 3.1s", id="sudo-slow"),
]  # fmt: skip


@pytest.mark.parametrize(("item", "facts", "probe", "text"), WARNINGS)
def test_what_kubexm_fixes_itself_is_only_a_warning(
    item: str, facts: dict[str, object], probe: HostProbe, text: str
) -> None:
    finding = _run(item, facts, probe)
    assert finding is not None
    assert finding.level == "warning"
    assert text in finding.message


def test_noexec_tmp_warning_names_the_staging_dir() -> None:
    finding = _run("tmp-noexec", probe=replace(GOOD_PROBE, tmp_options=("noexec",)))
    assert finding is not None and NOEXEC_STAGING_DIR in finding.fix


@pytest.mark.parametrize(
    ("os_id", "version"),
    [("ubuntu", "20.04"), ("ubuntu", "24.04"), ("rocky", "9.4"), ("almalinux", "8.10"),
     ("centos", "9"), ("rhel", "8.9"), ("debian", "13")],
    ids=lambda v: str(v),
)  # fmt: skip
def test_supported_releases_pass_the_os_check(os_id: str, version: str) -> None:
    assert _run("os", {"os_id": os_id, "os_version": version}) is None


def test_cgroup_v1_is_fine_for_kubernetes_1_34() -> None:
    req = replace(REQ, kubernetes_version="1.34.2")
    assert _run("cgroup", {"cgroup_version": 1}, req=req) is None


def test_ports_held_by_the_expected_component_are_not_a_problem() -> None:
    probe = replace(GOOD_PROBE, listening={2379: "etcd", 6443: "kube-apiserver"})
    assert _run("ports", probe=probe) is None


def test_leftovers_are_warnings_when_not_fatal() -> None:
    probe = replace(GOOD_PROBE, leftovers=("/etc/kubernetes/kubelet.conf",))
    finding = _run("leftovers", probe=probe, req=replace(REQ, leftovers_fatal=False))
    assert finding is not None and finding.level == "warning"
    assert "kubeadm reset" in finding.fix


def test_memory_allows_what_the_kernel_keeps_back() -> None:
    assert _run("memory", {"memory_mib": 2900}) is None


def test_unknown_check_name_raises_key_error() -> None:
    with pytest.raises(KeyError):
        _run("no-such-check")


def test_every_check_name_is_known_to_the_config_model() -> None:
    from kubexm.common.types import PREFLIGHT_CHECKS
    from kubexm.step.preflight.rules import CHECK_NAMES

    assert set(CHECK_NAMES) == set(PREFLIGHT_CHECKS)
