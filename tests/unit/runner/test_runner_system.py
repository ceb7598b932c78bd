from __future__ import annotations

import pytest
from fakeconn import OK, FakeConnection, FakeSystemd, Unit, assert_idempotent

from kubexm.connector.base import Result
from kubexm.errors import KubexmError
from kubexm.runner.host import Host
from kubexm.runner.system import (
    HOSTS_BEGIN,
    HOSTS_END,
    chrony_config,
    ensure_chrony,
    ensure_firewall_off,
    ensure_hostname,
    ensure_hosts_block,
    ensure_selinux_off,
    ensure_timezone,
    ensure_user,
    hosts_lines,
    replace_hosts_block,
)

BASE = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n"
ENTRIES = [("10.0.0.1", ["node1.cluster.local", "node1"]), ("10.0.0.9", ["lb.kubexm.local"])]


def test_replace_hosts_block_appends_when_missing() -> None:
    text = replace_hosts_block(BASE, ["10.0.0.1 node1"])
    assert text == BASE + f"{HOSTS_BEGIN}\n10.0.0.1 node1\n{HOSTS_END}\n"


def test_replace_hosts_block_replaces_in_place_and_keeps_other_lines() -> None:
    old = f"127.0.0.1 localhost\n{HOSTS_BEGIN}\n1.1.1.1 old\n{HOSTS_END}\n10.9.9.9 mine\n"
    new = replace_hosts_block(old, ["2.2.2.2 new"])
    assert new == f"127.0.0.1 localhost\n{HOSTS_BEGIN}\n2.2.2.2 new\n{HOSTS_END}\n10.9.9.9 mine\n"


def test_replace_hosts_block_with_no_lines_removes_block() -> None:
    old = f"127.0.0.1 localhost\n{HOSTS_BEGIN}\n1.1.1.1 old\n{HOSTS_END}\n"
    assert replace_hosts_block(old, []) == "127.0.0.1 localhost\n"


def test_hosts_lines_join_names() -> None:
    assert hosts_lines(ENTRIES) == [
        "10.0.0.1 node1.cluster.local node1",
        "10.0.0.9 lb.kubexm.local",
    ]


async def test_ensure_hosts_block_then_unchanged(fake: FakeConnection) -> None:
    fake.write("/etc/hosts", BASE)
    lines = await assert_idempotent(fake, lambda h: ensure_hosts_block(h, ENTRIES))
    assert lines == ["[node1] would write /etc/hosts"]
    assert fake.text("/etc/hosts").startswith(BASE + HOSTS_BEGIN)


class HostnameFake:
    def __init__(self, fake: FakeConnection, running: str, stored: str) -> None:
        self.running, self.stored = running, stored
        fake.script("hostname; cat /etc/hostname", self.probe)
        fake.script("hostnamectl set-hostname", self.set)

    def probe(self, cmd: str, fake: FakeConnection) -> Result:
        return Result(0, f"{self.running}\n{self.stored}\n", "")

    def set(self, cmd: str, fake: FakeConnection) -> Result:
        self.running = self.stored = cmd.split()[2]
        return OK


@pytest.mark.parametrize(
    ("running", "stored"), [("old", "old"), ("node1", "old"), ("old", "node1")],
    ids=["both-differ", "file-differs", "running-differs"],
)  # fmt: skip
async def test_ensure_hostname_then_unchanged(
    fake: FakeConnection, running: str, stored: str
) -> None:
    state = HostnameFake(fake, running, stored)
    await assert_idempotent(
        fake, lambda h: ensure_hostname(h, "node1"), state=lambda: (state.running, state.stored)
    )
    assert (state.running, state.stored) == ("node1", "node1")


async def test_ensure_timezone_then_unchanged(fake: FakeConnection) -> None:
    fake.links["/etc/localtime"] = "/usr/share/zoneinfo/Etc/UTC"
    fake.write("/usr/share/zoneinfo/Asia/Shanghai", "TZif")

    def set_zone(cmd: str, f: FakeConnection) -> Result:
        f.links["/etc/localtime"] = "/usr/share/zoneinfo/Asia/Shanghai"
        return OK

    fake.script("timedatectl set-timezone Asia/Shanghai", set_zone)
    await assert_idempotent(fake, lambda h: ensure_timezone(h, "Asia/Shanghai"))


async def test_ensure_timezone_rejects_unknown_zone(host: Host, fake: FakeConnection) -> None:
    fake.links["/etc/localtime"] = "/usr/share/zoneinfo/Etc/UTC"
    with pytest.raises(KubexmError, match="unknown timezone"):
        await ensure_timezone(host, "Mars/Olympus")


def test_chrony_config_lists_servers_allow_and_local() -> None:
    text = chrony_config(["ntp1", "ntp2"], allow=["10.0.0.0/8"], local=True)
    assert "server ntp1 iburst\nserver ntp2 iburst\nallow 10.0.0.0/8\nlocal stratum 10\n" in text


@pytest.mark.parametrize(
    ("family", "path", "service"),
    [
        ("debian", "/etc/chrony/chrony.conf", "chrony.service"),
        ("rhel", "/etc/chrony.conf", "chronyd.service"),
    ],
    ids=["debian", "rhel"],
)
async def test_ensure_chrony_writes_and_runs_service(
    fake: FakeConnection, family: str, path: str, service: str
) -> None:
    fake.dirs["/etc/chrony"] = (0o755, "root", "root")
    systemd = FakeSystemd({service: Unit()}).install(fake)
    await assert_idempotent(
        fake,
        lambda h: ensure_chrony(h, ["ntp1"], os_family=family),
        state=lambda: systemd.units,
    )
    assert "server ntp1 iburst" in fake.text(path)
    assert systemd.units[service] == Unit(active=True, enabled="enabled")


async def test_ensure_chrony_restarts_running_service_on_config_change(
    host: Host, fake: FakeConnection
) -> None:
    FakeSystemd({"chronyd.service": Unit(True, "enabled")}).install(fake)
    result = await ensure_chrony(host, ["ntp9"], os_family="rhel")
    assert "restart chronyd" in result.detail


async def test_ensure_firewall_off_stops_present_services(fake: FakeConnection) -> None:
    systemd = FakeSystemd({"firewalld.service": Unit(True, "enabled")}).install(fake)
    await assert_idempotent(fake, ensure_firewall_off, state=lambda: systemd.units)
    assert systemd.units["firewalld.service"] == Unit(False, "disabled")


async def test_ensure_firewall_off_without_firewall_is_unchanged(
    host: Host, fake: FakeConnection
) -> None:
    FakeSystemd().install(fake)
    assert not (await ensure_firewall_off(host)).changed


class SelinuxFake:
    def __init__(self, fake: FakeConnection, mode: str, config: str) -> None:
        self.mode, self.config = mode, config
        fake.script("getenforce", self.probe)
        fake.script("setenforce 0", self.permissive)
        fake.script("sed -i -E 's/^SELINUX=", self.disable)

    def probe(self, cmd: str, fake: FakeConnection) -> Result:
        lines = [self.mode] if self.mode else []
        lines += [f"SELINUX={self.config}"] if self.config else []
        return Result(0, "".join(f"{line}\n" for line in lines), "")

    def permissive(self, cmd: str, fake: FakeConnection) -> Result:
        self.mode = "Permissive"
        return OK

    def disable(self, cmd: str, fake: FakeConnection) -> Result:
        self.config = "disabled"
        return OK


async def test_ensure_selinux_off_then_unchanged(fake: FakeConnection) -> None:
    se = SelinuxFake(fake, "Enforcing", "enforcing")
    lines = await assert_idempotent(fake, ensure_selinux_off, state=lambda: (se.mode, se.config))
    assert len(lines) == 2
    assert (se.mode, se.config) == ("Permissive", "disabled")


async def test_ensure_selinux_off_without_selinux_is_unchanged(
    host: Host, fake: FakeConnection
) -> None:
    SelinuxFake(fake, "", "")
    assert not (await ensure_selinux_off(host)).changed


async def test_ensure_user_adds_system_user_then_unchanged(fake: FakeConnection) -> None:
    users: set[str] = set()
    fake.script("id -u", lambda cmd, f: OK if cmd.split()[-1] in users else Result(1, "", ""))

    def add(cmd: str, f: FakeConnection) -> Result:
        users.add(cmd.split()[-1])
        return OK

    fake.script("useradd", add)
    await assert_idempotent(fake, lambda h: ensure_user(h, "etcd"), state=lambda: sorted(users))
    assert any(c.startswith("useradd -U -s /sbin/nologin -r etcd") for c in fake.ran)
