"""Preflight knowledge as data, and one routine per check that reads it.

Each check looks at one host's facts, its probe (``probe.HostProbe``) and the requirements
the planner derived from the config, and returns ``None`` when the host is fine or a
``Finding`` with the fix. Warnings are for what kubexm fixes itself (swap, SELinux, firewalld)
or what only slows it down; they never fail a run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from kubexm.step.preflight.probe import HostProbe
from kubexm.util.version import compare_versions, parse_version

# Supported OS releases: os-release ID -> accepted VERSION_ID majors (minor kept for Ubuntu).
SUPPORTED_OS: Mapping[str, tuple[str, ...]] = {
    "debian": ("11", "12", "13"),
    "ubuntu": ("20.04", "22.04", "24.04"),
    "rhel": ("8", "9"),
    "rocky": ("8", "9"),
    "almalinux": ("8", "9"),
    "centos": ("8", "9"),  # CentOS Stream 8 and 9
}
SUPPORTED_ARCHES = ("amd64", "arm64")
# Oldest kernel current Kubernetes releases support (kubeadm's system verification).
MIN_KERNEL = "4.19.0"
# Kubernetes minors from which the kubelet refuses cgroup v1 by default (failCgroupV1).
CGROUP_V1_REFUSED_FROM = "1.35.0"
# Masters run apiserver, controller-manager, scheduler (and often etcd) on top of a node:
# they need at least 2 CPUs (kubeadm's own floor) and 1 GiB more than spec.preflight.minMemoryMB.
MASTER_MIN_CPUS = 2
MASTER_EXTRA_MEMORY_MIB = 1024
# MemTotal excludes memory the firmware and kernel keep: a 2 GiB machine reports ~1.9 GiB.
MEMORY_TOLERANCE = 0.9
# Free space under /var/lib (images, etcd, kubelet): masters and etcd hosts keep etcd data.
MIN_VAR_LIB_MIB = {"master": 10 * 1024, "etcd": 10 * 1024, "default": 5 * 1024}
MAX_CLOCK_OFFSET_S = 2.0
# Where kubexm stages files when /tmp is mounted noexec.
NOEXEC_STAGING_DIR = "/var/lib/kubexm/staging"
# Runtime x Kubernetes: the oldest runtime release supported per Kubernetes minor.
# containerd 1.x support ends with Kubernetes 1.35; CRI-O follows the Kubernetes minor.
MIN_RUNTIME_VERSION: Mapping[str, tuple[tuple[str, str], ...]] = {
    "containerd": (("1.36.0", "2.0.0"), ("0.0.0", "1.7.0")),
    "docker": (("0.0.0", "24.0.0"),),
}
# The process expected to hold each port when kubexm already installed the host.
PORT_OWNERS: Mapping[int, tuple[str, ...]] = {
    6443: ("kube-apiserver", "haproxy", "nginx"),
    2379: ("etcd",),
    2380: ("etcd",),
    10250: ("kubelet",),
    10257: ("kube-controller",),
    10259: ("kube-scheduler",),
}
RESET_HINT = "kubexm delete cluster -f <config> (or kubeadm reset -f) and remove {paths}"
WARNINGS_KEY = "preflight.warnings"

Level = Literal["error", "warning"]
_HOSTNAME = re.compile(
    r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)


@dataclass(frozen=True)
class Finding:
    """One problem of one check on one host, with the fix."""

    level: Level
    message: str
    fix: str


@dataclass(frozen=True)
class Requirements:
    """What the config asks of one host; built by the planner, an input of every check."""

    roles: tuple[str, ...]
    arch: str
    min_cpus: int
    min_memory_mib: int
    min_var_lib_mib: int
    ports: tuple[int, ...]
    modules: tuple[str, ...]
    kubernetes_version: str
    kubelet_cgroup_driver: str = "systemd"
    runtime: str = "containerd"
    runtime_cgroup_driver: str = "systemd"
    runtime_version: str = ""  # empty: the BOM's version, compatible by construction
    same_hostname: tuple[str, ...] = ()  # other hosts reporting this host's hostname
    same_address: tuple[str, ...] = ()  # other hosts with this host's default IPv4 address
    disable_swap: bool = True
    disable_selinux: bool = True
    disable_firewalld: bool = True
    leftovers_fatal: bool = True


Facts = Mapping[str, object]
Check = Callable[[Facts, HostProbe, Requirements], Finding | None]


def _s(facts: Facts, key: str) -> str:
    return str(facts.get(key, "") or "")


def _n(facts: Facts, key: str) -> float:
    value = facts.get(key, 0)
    return float(value) if isinstance(value, int | float) else 0.0


def _error(message: str, fix: str) -> Finding:
    return Finding("error", message, fix)


def _warning(message: str, fix: str) -> Finding:
    return Finding("warning", message, fix)


def check_sudo(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    if probe.sudo_error:
        return _error(
            f"sudo failed: {probe.sudo_error}",
            "give the SSH user passwordless sudo, or set the host's password in the config",
        )
    slow = [d for d in probe.diagnostics if "sudo took" in d]
    if slow:
        return _warning(slow[0].split("] ", 1)[-1], "add the hostname to /etc/hosts")
    return None


def _os_supported(os_id: str, version: str) -> bool:
    accepted = SUPPORTED_OS.get(os_id, ())
    major = version.split(".")[0]
    return version in accepted or (os_id != "ubuntu" and major in accepted)


def check_os(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    os_id, version = _s(facts, "os_id"), _s(facts, "os_version")
    if _os_supported(os_id, version):
        return None
    known = "; ".join(f"{k} {', '.join(v)}" for k, v in SUPPORTED_OS.items())
    name = _s(facts, "os_name") or f"{os_id} {version}".strip()
    return _error(f"unsupported OS {name}", f"use one of: {known}")


def check_arch(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    arch = _s(facts, "arch")
    if arch not in SUPPORTED_ARCHES:
        return _error(f"unsupported architecture {arch or 'unknown'}", "use amd64 or arm64 hosts")
    if arch != req.arch:
        return _error(
            f"the host is {arch} but the config says arch: {req.arch}",
            f"set arch: {arch} for this host in spec.hosts",
        )
    return None


def check_kernel(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    kernel = _s(facts, "kernel")
    match = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", kernel)
    if match and compare_versions(f"{match[1]}.{match[2]}.{match[3] or 0}", MIN_KERNEL) >= 0:
        return None
    return _error(
        f"kernel {kernel or 'unknown'} is older than {MIN_KERNEL}",
        f"upgrade the kernel to {MIN_KERNEL} or newer",
    )


def check_cgroup(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    version = int(_n(facts, "cgroup_version"))
    if version == 0:
        return _error("cannot tell the cgroup version", "mount cgroup2 on /sys/fs/cgroup")
    if req.kubelet_cgroup_driver != req.runtime_cgroup_driver:
        return _error(
            f"kubelet uses the {req.kubelet_cgroup_driver} cgroup driver but {req.runtime} "
            f"uses {req.runtime_cgroup_driver}",
            "set the same cgroupDriver for the kubelet and the container runtime",
        )
    if req.kubelet_cgroup_driver == "systemd" and _s(facts, "init_system") != "systemd":
        return _error("the systemd cgroup driver needs systemd as init", "use cgroupfs")
    k8s = parse_version(req.kubernetes_version)
    if version == 1 and compare_versions(f"{k8s.major}.{k8s.minor}.0", CGROUP_V1_REFUSED_FROM) >= 0:
        return _error(
            f"cgroup v1: Kubernetes {req.kubernetes_version} needs cgroup v2",
            "boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2)",
        )
    return None


def check_cpu(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    cpus = int(_n(facts, "cpus"))
    if cpus >= req.min_cpus:
        return None
    return _error(
        f"{cpus} CPUs, a {'/'.join(req.roles)} host needs {req.min_cpus}",
        "add CPUs, or lower spec.preflight.minCPUCores",
    )


def check_memory(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    mib = int(_n(facts, "memory_mib"))
    if mib >= req.min_memory_mib * MEMORY_TOLERANCE:
        return None
    return _error(
        f"{mib} MiB memory, a {'/'.join(req.roles)} host needs {req.min_memory_mib} MiB",
        "add memory, or lower spec.preflight.minMemoryMB",
    )


def check_swap(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    active = bool(facts.get("swap_active", False))
    if not active and not probe.fstab_swap:
        return None
    where = "swap is on" if active else "swap is off"
    if probe.fstab_swap:
        where += " and /etc/fstab would turn it on again after a reboot"
    if req.disable_swap:
        return _warning(where, "kubexm turns swap off and comments it out of /etc/fstab")
    return _error(where, "run swapoff -a and comment swap out of /etc/fstab")


def check_selinux(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    if _s(facts, "selinux") != "enforcing" or not req.disable_selinux:
        return None
    return _warning("SELinux is enforcing", "kubexm sets it to permissive")


def check_firewalld(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    running = facts.get("firewalls", ())
    active = [fw for fw in ("firewalld", "ufw") if isinstance(running, tuple) and fw in running]
    if not active:
        return None
    fix = "kubexm stops and disables it" if req.disable_firewalld else "open the cluster ports"
    return _warning(f"{', '.join(active)} is active", fix)


def check_modules(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    missing = [m for m in req.modules if probe.modules.get(m, "absent") == "absent"]
    if not missing:
        return None
    return _error(
        f"kernel modules not in this kernel: {', '.join(missing)}",
        "install the kernel's extra modules package (e.g. linux-modules-extra) or "
        "use a kernel that has them",
    )


def check_hostname(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    name = _s(facts, "hostname")
    if _HOSTNAME.match(name) and len(name) <= 253:
        return None
    return _error(
        f"hostname {name!r} is not a valid lowercase RFC 1123 name",
        f"hostnamectl set-hostname {name.lower() or '<name>'} "
        "(lowercase letters, digits, '-' and '.')",
    )


def check_hostname_unique(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    if not req.same_hostname:
        return None
    return _error(
        f"hostname {_s(facts, 'hostname')!r} is also used by {', '.join(req.same_hostname)}",
        "give every host its own hostname (hostnamectl set-hostname <name>)",
    )


def check_address_unique(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    if not req.same_address:
        return None
    return _error(
        f"address {_s(facts, 'default_ipv4')} is also the address of {', '.join(req.same_address)}",
        "give every machine its own address (clones keep the IP), or remove the entry "
        "that names the same machine twice from spec.hosts",
    )


def check_clock(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    offset = _n(facts, "clock_offset_s")
    if abs(offset) <= MAX_CLOCK_OFFSET_S:
        return None
    side = "ahead of" if offset > 0 else "behind"
    return _error(
        f"clock is {abs(offset):.1f}s {side} this machine (over {MAX_CLOCK_OFFSET_S:g}s)",
        "sync the clocks with NTP (chrony); certificates fail when clocks disagree",
    )


def check_ports(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    taken = [
        f"{port} ({probe.listening[port] or 'unknown process'})"
        for port in req.ports
        if port in probe.listening and probe.listening[port] not in PORT_OWNERS.get(port, ())
    ]
    if not taken:
        return None
    return _error(
        f"ports in use: {', '.join(taken)}",
        "stop the process holding each port (ss -ltnp shows it)",
    )


def check_tmp(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    if "noexec" not in probe.tmp_options:
        return None
    return _warning("/tmp is mounted noexec", f"kubexm stages files in {NOEXEC_STAGING_DIR}")


def check_disk(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    free = probe.var_lib_free_mib
    if free is None or free >= req.min_var_lib_mib:
        return None
    return _error(
        f"{free / 1024:.1f} GiB free under /var/lib, needs {req.min_var_lib_mib / 1024:g} GiB",
        "free space or grow the filesystem holding /var/lib",
    )


def check_leftovers(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    if not probe.leftovers:
        return None
    paths = " ".join(probe.leftovers)
    message = f"an earlier install left {', '.join(probe.leftovers)}"
    fix = RESET_HINT.format(paths=paths)
    return _error(message, fix) if req.leftovers_fatal else _warning(message, fix)


def check_runtime_version(facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    if not req.runtime_version:
        return None
    floors = MIN_RUNTIME_VERSION.get(req.runtime, ())
    k8s = parse_version(req.kubernetes_version)
    for since, minimum in floors:
        if compare_versions(f"{k8s.major}.{k8s.minor}.0", since) >= 0:
            if compare_versions(req.runtime_version, minimum) >= 0:
                return None
            return _error(
                f"{req.runtime} {req.runtime_version} is too old for Kubernetes "
                f"{req.kubernetes_version} (needs {minimum} or newer)",
                f"set {req.runtime} {minimum} or newer, or leave its version unset",
            )
    return None


CHECKS: Mapping[str, Check] = {
    "sudo": check_sudo,
    "os": check_os,
    "arch": check_arch,
    "kernel": check_kernel,
    "cgroup": check_cgroup,
    "cpu": check_cpu,
    "memory": check_memory,
    "swap": check_swap,
    "selinux": check_selinux,
    "firewalld": check_firewalld,
    "modules": check_modules,
    "hostname": check_hostname,
    "hostname-unique": check_hostname_unique,
    "address-unique": check_address_unique,
    "clock": check_clock,
    "ports": check_ports,
    "tmp-noexec": check_tmp,
    "disk": check_disk,
    "leftovers": check_leftovers,
    "runtime-version": check_runtime_version,
}
CHECK_NAMES = tuple(CHECKS)


def evaluate(item: str, facts: Facts, probe: HostProbe, req: Requirements) -> Finding | None:
    """The finding of check ``item`` on one host, None when fine. Raises ``KeyError`` for an
    unknown check name."""
    return CHECKS[item](facts, probe, req)
