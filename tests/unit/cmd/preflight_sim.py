"""Simulated hosts for the preflight and execute command tests: canned facts and probe."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from kubexm.connector.base import Connection, Result
from kubexm.connector.pool import HostSettings
from kubexm.connector.simulated import SimulatedConnection
from kubexm.errors import KubexmError


def facts_text(hostname: str, ip: str = "10.0.0.5", **over: str) -> str:
    """The facts script output of a healthy Debian 12 amd64 host named ``hostname``."""
    values = {
        "os": 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
        "uname": "x86_64\n6.1.0-18-amd64",
        "nproc": "4",
        "meminfo": "MemTotal:       8000000 kB\nSwapTotal:            0 kB",
        "swaps": "",
        "cgroup": "cgroup2fs",
        "selinux": "",
        "firewall": "",
        "clock": "",
    } | over
    return "\n".join(
        [
            f"@@os-release\n{values['os']}",
            f"@@uname\n{values['uname']}",
            f"@@hostname\n{hostname}",
            f"@@nproc\n{values['nproc']}",
            f"@@meminfo\n{values['meminfo']}",
            f"@@swaps\n{values['swaps']}",
            f"@@cgroup\n{values['cgroup']}",
            "@@init\nsystemd",
            f"@@addr\n2: eth0    inet {ip}/16 brd 10.0.255.255 scope global eth0",
            "@@route4\ndefault via 10.0.0.1 dev eth0",
            f"@@selinux\n{values['selinux']}",
            f"@@firewall\n{values['firewall']}",
            "@@pkg\napt-get",
            f"@@clock\n{values['clock']}",
        ]
    )


MODULES = ("overlay", "br_netfilter", "ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh", "nf_conntrack")


def probe_text(**over: str) -> str:
    """The preflight probe output of a clean host (modules present, ports free)."""
    values = {
        "fstab": "",
        "modules": "\n".join(f"{m} loaded" for m in MODULES),
        "available": "",
        "tmp": "rw,nosuid,nodev",
        "varlib": "/dev/sda1 100000000 1000 99000000 1% /",
        "leftovers": "",
        "ports": 'LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))',
    } | over
    return "\n".join(f"@@{k}\n{v}" for k, v in values.items())


@dataclass
class SimDialer:
    """Stands in for ``open_connection``: one simulated host per name with canned facts and
    probe output (overridable per host), or the scripted connect error."""

    latency: float = 0.0
    facts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    probes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    hostnames: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, KubexmError] = field(default_factory=dict)
    configure: Callable[[SimulatedConnection], None] | None = None
    made: dict[str, SimulatedConnection] = field(default_factory=dict)

    async def __call__(self, settings: HostSettings, **_: object) -> Connection:
        name = settings.host_name
        if name in self.errors:
            raise self.errors[name]
        conn = SimulatedConnection(name, latency=self.latency)
        ip = f"10.0.{len(self.made) // 250}.{len(self.made) % 250 + 1}"
        facts = facts_text(self.hostnames.get(name, name), ip, **self.facts.get(name, {}))
        conn.add_rule("@@os-release", Result(0, facts, ""))
        conn.add_rule("@@fstab", Result(0, probe_text(**self.probes.get(name, {})), ""))
        if self.configure is not None:
            self.configure(conn)
        self.made[name] = conn
        return conn


def cluster_yaml(masters: Iterable[str], workers: Iterable[str], extra: str = "") -> str:
    """A kubeadm cluster config over the given host names (addresses 10.1.x.y)."""
    names = [*masters, *workers]
    hosts = "\n".join(
        f"    - {{name: {n}, address: 10.1.{i // 250}.{i % 250 + 1}}}" for i, n in enumerate(names)
    )
    return f"""\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {{name: pf}}
spec:
  global: {{user: ops, password: "s3cret-pass"}}
  hosts:
{hosts}
  roleGroups:
    master: [{", ".join(masters)}]
    worker: [{", ".join(workers)}]
  kubernetes: {{type: kubeadm, version: v1.36.4}}
  etcd: {{type: kubeadm}}
{extra}"""
