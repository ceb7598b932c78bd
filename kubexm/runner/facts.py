"""Host facts gathered in one round trip: one shell script prints ``@@<section>`` blocks.

The parser is pure (``parse_facts``) so every distro quirk is a fixture file with the canned
script output and the expected ``Facts``. Missing tools leave their section empty, which maps
to a neutral value (``unknown``, 0, empty) rather than an error.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kubexm.runner.host import Host
from kubexm.util.shell import quote

# component -> command printing its version; run only when the binary is on PATH.
VERSION_COMMANDS: dict[str, str] = {
    "etcd": "etcd --version",
    "containerd": "containerd --version",
    "runc": "runc --version",
    "crictl": "crictl --version",
    "kubelet": "kubelet --version",
    "kubeadm": "kubeadm version -o short",
    "kubectl": "kubectl version --client",
    "docker": "docker --version",
    "haproxy": "haproxy -v",
    "keepalived": "keepalived --version",
    "nginx": "nginx -v",
    "helm": "helm version --short",
}

_FAMILIES: dict[str, str] = {
    **dict.fromkeys(("debian", "ubuntu", "raspbian", "linuxmint", "uos", "deepin"), "debian"),
    **dict.fromkeys(
        (
            "centos", "rhel", "fedora", "almalinux", "rocky", "ol", "amzn",
            "openeuler", "anolis", "kylin",
        ),
        "rhel",
    ),
    **dict.fromkeys(("sles", "sled", "opensuse-leap", "opensuse"), "suse"),
}  # fmt: skip
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le"}
_VERSION_RE = re.compile(r"v?(\d+\.\d+\.\d+)")
_PATH = "PATH=$PATH:/usr/local/bin:/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin"


@dataclass(frozen=True)
class Address:
    """One global address of an interface, e.g. ``eth0 inet 10.0.0.5/24``."""

    interface: str
    family: str  # inet | inet6
    address: str
    prefix: int


@dataclass(frozen=True)
class Facts:
    """What kubexm needs to know about a host before planning anything on it."""

    os_id: str = "unknown"
    os_version: str = ""
    os_name: str = ""
    os_codename: str = ""
    os_family: str = "unknown"  # debian | rhel | suse | unknown
    arch: str = ""  # normalised: amd64, arm64...
    kernel: str = ""
    cgroup_version: int = 0  # 1 or 2; 0 unknown
    init_system: str = "unknown"  # systemd | sysvinit | unknown
    cpus: int = 0
    memory_mib: int = 0
    swap_total_mib: int = 0
    swap_active: bool = False
    disk_total_mib: int = 0  # of the filesystem holding /
    disk_free_mib: int = 0
    hostname: str = ""  # the kernel hostname (what kubelet registers by default)
    machine_id: str = ""  # /etc/machine-id: new when the host is reinstalled
    fqdn: str = ""  # ``hostname -f``; empty when the resolver does not answer in 3 s
    addresses: tuple[Address, ...] = ()
    default_interface: str | None = None
    default_ipv4: str | None = None
    default_ipv6: str | None = None
    selinux: str = "absent"  # enforcing | permissive | disabled | absent
    firewalls: tuple[str, ...] = ()  # active firewall services: firewalld, ufw
    clock_offset_s: float = 0.0  # host clock minus control-machine clock
    package_manager: str = "none"  # apt | dnf | yum | none
    versions: Mapping[str, str] = field(default_factory=dict)

    def version(self, component: str) -> str | None:
        """Installed version of a managed component (``1.7.2``), None when not installed."""
        return self.versions.get(component)


def facts_script() -> str:
    """The shell script whose output ``parse_facts`` reads; every probe tolerates failure."""
    parts = [
        _PATH,
        "echo @@os-release; cat /etc/os-release 2>/dev/null",
        "echo @@uname; uname -m; uname -r",
        "echo @@hostname; hostname",
        "echo @@machine-id; cat /etc/machine-id 2>/dev/null",
        # -f asks the resolver; bounded because a dead DNS server would stall every fact.
        "echo @@fqdn; timeout 3 hostname -f 2>/dev/null",
        "echo @@nproc; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN",
        "echo @@meminfo; grep -E '^(MemTotal|SwapTotal):' /proc/meminfo",
        "echo @@swaps; tail -n +2 /proc/swaps",
        "echo @@cgroup; stat -fc %T /sys/fs/cgroup 2>/dev/null",
        "echo @@init; cat /proc/1/comm 2>/dev/null",
        "echo @@df; df -Pk / 2>/dev/null | tail -n 1",
        "echo @@addr; ip -o addr show scope global 2>/dev/null",
        "echo @@route4; ip -4 route show default 2>/dev/null",
        "echo @@route6; ip -6 route show default 2>/dev/null",
        "echo @@selinux; getenforce 2>/dev/null",
        "echo @@firewall; for s in firewalld ufw; do "
        'systemctl is-active --quiet "$s" 2>/dev/null && echo "$s"; done',
        "echo @@pkg; for m in apt-get dnf yum; do command -v $m >/dev/null 2>&1 && echo $m; done",
    ]
    for name, cmd in VERSION_COMMANDS.items():
        binary = cmd.split(" ", 1)[0]
        parts.append(
            f"echo @@version:{name}; command -v {quote(binary)} >/dev/null 2>&1 && "
            f"{{ timeout 10 {cmd} 2>&1 | head -n 3; }}"
        )
    # Last, so only the way back separates this reading from the moment the output arrives.
    parts.append("echo @@clock; date +%s.%N")
    return "\n".join(parts) + "\n"


def split_sections(stdout: str) -> dict[str, str]:
    """``{"uname": "x86_64\\n6.1.0\\n", ...}`` from the ``@@name`` markers."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in stdout.splitlines():
        if line.startswith("@@"):
            current = sections.setdefault(line[2:].strip(), [])
        elif current is not None:
            current.append(line)
    return {name: "\n".join(lines).strip() for name, lines in sections.items()}


def _os_release(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip("\"'")
    return values


def os_family(os_id: str, id_like: str = "") -> str:
    """``debian``/``rhel``/``suse``/``unknown`` from os-release ID, then ID_LIKE."""
    for candidate in [os_id, *id_like.split()]:
        family = _FAMILIES.get(candidate.lower())
        if family:
            return family
    return "unknown"


def _int(text: str, default: int = 0) -> int:
    try:
        return int(text.strip().split()[0])
    except (ValueError, IndexError):
        return default


def _meminfo_mib(text: str, key: str) -> int:
    for line in text.splitlines():
        if line.startswith(f"{key}:"):
            return _int(line.split(":", 1)[1]) // 1024
    return 0


def _addresses(text: str) -> tuple[Address, ...]:
    found: list[Address] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[2] not in ("inet", "inet6"):
            continue
        address, _, prefix = fields[3].partition("/")
        found.append(Address(fields[1].split("@")[0], fields[2], address, _int(prefix or "0")))
    return tuple(found)


def _route_dev(text: str) -> str | None:
    fields = text.split()
    if "dev" in fields and fields.index("dev") + 1 < len(fields):
        return fields[fields.index("dev") + 1]
    return None


def _pick(addrs: tuple[Address, ...], family: str, interface: str | None) -> str | None:
    preferred = [a for a in addrs if a.family == family and a.interface == interface]
    anywhere = [a for a in addrs if a.family == family]
    chosen = preferred or anywhere
    return chosen[0].address if chosen else None


def _cgroup(text: str) -> int:
    return {"cgroup2fs": 2, "tmpfs": 1}.get(text.strip(), 0)


def _init(text: str) -> str:
    comm = text.strip()
    if comm == "systemd":
        return "systemd"
    return "sysvinit" if comm == "init" else "unknown"


def _package_manager(text: str, family: str) -> str:
    found = [{"apt-get": "apt"}.get(t, t) for t in text.split()]
    order = ["dnf", "yum", "apt"] if family == "rhel" else ["apt", "dnf", "yum"]
    return next((m for m in order if m in found), "none")


def _selinux(text: str) -> str:
    value = text.strip().lower()
    return value if value in ("enforcing", "permissive", "disabled") else "absent"


def _versions(sections: Mapping[str, str]) -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in VERSION_COMMANDS:
        match = _VERSION_RE.search(sections.get(f"version:{name}", ""))
        if match:
            versions[name] = match.group(1)
    return versions


def _disk_mib(text: str) -> tuple[int, int]:
    fields = text.split()
    if len(fields) < 4:
        return 0, 0
    return _int(fields[1]) // 1024, _int(fields[3]) // 1024


def parse_facts(stdout: str, *, received_at: float | None = None) -> Facts:
    """Build ``Facts`` from the script output.

    ``received_at`` is the control machine's clock when the output arrived; with it
    ``clock_offset_s`` is the host clock minus the control clock (0.0 without it).
    """
    s = split_sections(stdout)
    osr = _os_release(s.get("os-release", ""))
    os_id = osr.get("ID", "unknown").lower()
    family = os_family(os_id, osr.get("ID_LIKE", ""))
    uname = [*s.get("uname", "").splitlines(), "", ""]
    addrs = _addresses(s.get("addr", ""))
    dev4 = _route_dev(s.get("route4", ""))
    dev6 = _route_dev(s.get("route6", ""))
    total, free = _disk_mib(s.get("df", ""))
    return Facts(
        os_id=os_id,
        os_version=osr.get("VERSION_ID", ""),
        os_name=osr.get("PRETTY_NAME", ""),
        os_codename=osr.get("VERSION_CODENAME", ""),
        os_family=family,
        arch=_ARCH.get(uname[0].strip(), uname[0].strip()),
        kernel=uname[1].strip(),
        cgroup_version=_cgroup(s.get("cgroup", "")),
        init_system=_init(s.get("init", "")),
        cpus=_int(s.get("nproc", "")),
        memory_mib=_meminfo_mib(s.get("meminfo", ""), "MemTotal"),
        swap_total_mib=_meminfo_mib(s.get("meminfo", ""), "SwapTotal"),
        swap_active=bool(s.get("swaps", "").strip()),
        disk_total_mib=total,
        disk_free_mib=free,
        hostname=s.get("hostname", "").strip(),
        machine_id=s.get("machine-id", "").strip(),
        fqdn=s.get("fqdn", "").strip(),
        addresses=addrs,
        default_interface=dev4 or dev6,
        default_ipv4=_pick(addrs, "inet", dev4),
        default_ipv6=_pick(addrs, "inet6", dev6),
        selinux=_selinux(s.get("selinux", "")),
        firewalls=tuple(s.get("firewall", "").split()),
        clock_offset_s=_clock_offset(s, received_at),
        package_manager=_package_manager(s.get("pkg", ""), family),
        versions=_versions(s),
    )


def _seconds(text: str) -> float | None:
    # busybox date prints a literal "N" for %N; whole seconds are good enough then.
    whole, _, fraction = text.strip().partition(".")
    if not whole.isdigit():
        return None
    return float(f"{whole}.{fraction}") if fraction.isdigit() else float(whole)


def _clock_offset(s: Mapping[str, str], received: float | None) -> float:
    remote = _seconds(s.get("clock", ""))
    if received is None or remote is None:
        return 0.0
    # Read as the script ended: the host looks behind by the one-way return latency only
    # (sub-millisecond on a LAN), unlike a reading at the start, which the SSH channel
    # setup and sudo authentication would skew.
    return round(remote - received, 3)


async def gather_facts(host: Host, *, clock: Callable[[], float] = time.time) -> Facts:
    """All facts in one round trip.

    The clock offset is accurate to the one-way latency back from the host. Raises
    ``CommandTimeout`` after 120 s and ``CommandError`` only when the connection fails; a
    missing tool leaves its fact neutral.
    """
    result = await host.run(facts_script(), check=False, timeout=120.0)
    return parse_facts(result.stdout, received_at=clock())
