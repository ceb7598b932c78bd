"""Shared pieces of the runtime unit tests: a small config and simulated hosts."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kubexm.config import LoadedConfig, load_text
from kubexm.connector.base import Connection, Result
from kubexm.connector.pool import HostSettings
from kubexm.connector.simulated import SimulatedConnection
from kubexm.errors import KubexmError

CONFIG = """\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: demo}
spec:
  global:
    user: ops
    password: "gl0bal-Secret"
    connectionTimeout: 7
  hosts:
    - {name: m1, address: 10.0.0.11}
    - {name: w1, address: 10.0.0.21, port: 2222, privateKeyPath: /keys/w1, timeout: 3}
    - {name: w2, address: 10.0.0.22, type: local}
  roleGroups:
    master: [m1]
    worker: ["w[1:2]"]
  kubernetes: {type: kubeadm, version: v1.36.4}
  etcd: {type: kubeadm}
"""

HOSTS = ["m1", "w1", "w2"]


def loaded_config(text: str = CONFIG) -> LoadedConfig:
    return load_text(text, source="test.yaml")


def facts_output(host: str, cgroup: str = "cgroup2fs") -> str:
    """What the facts script prints on a Debian 12 host named ``host``."""
    return "\n".join(
        [
            "@@os-release",
            'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
            "@@uname\nx86_64\n6.1.0-18-amd64",
            f"@@hostname\n{host}",
            "@@nproc\n2",
            "@@cgroup",
            cgroup,
            "@@init\nsystemd",
            "@@addr\n2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0",
            "@@route4\ndefault via 10.0.0.1 dev eth0",
            "@@pkg\napt-get",
        ]
    )


class FakeDialer:
    """Stands in for ``open_connection``: a simulated host per name, or the scripted error.

    Records every settings object it was given and every connection it made.
    """

    def __init__(
        self,
        errors: dict[str, KubexmError] | None = None,
        configure: Callable[[SimulatedConnection], None] | None = None,
    ) -> None:
        self.errors = errors or {}
        self.configure = configure
        self.settings: list[HostSettings] = []
        self.made: dict[str, SimulatedConnection] = {}

    async def __call__(self, settings: HostSettings, **_: object) -> Connection:
        self.settings.append(settings)
        name = settings.host_name
        if name in self.errors:
            raise self.errors[name]
        conn = SimulatedConnection(name)
        conn.add_rule("@@os-release", Result(0, facts_output(name), ""))
        if self.configure is not None:
            self.configure(conn)
        self.made[name] = conn
        return conn

    def closed(self) -> list[str]:
        return sorted(name for name, conn in self.made.items() if conn.closed)

    def names(self) -> Iterable[str]:
        return [s.host_name for s in self.settings]
