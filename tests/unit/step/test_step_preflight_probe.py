"""The preflight probe: its script, its parser and the once-per-host cache."""

from __future__ import annotations

import pytest
from fakeconn import FakeConnection

from kubexm.cache import Scope, ScopedCache
from kubexm.connector.base import Result
from kubexm.engine import NodeContext
from kubexm.errors import ConnectError
from kubexm.step.preflight import load_probe, parse_probe, probe_script

OUTPUT = """\
@@fstab
swap
@@modules
overlay loaded
br_netfilter absent
ip_vs absent
@@available
br_netfilter
@@tmp
rw,nosuid,nodev,noexec
@@varlib
/dev/sda1 20971520 10485760 10485760 50% /
@@leftovers
/etc/kubernetes/kubelet.conf
/var/lib/etcd
@@ports
LISTEN 0 4096 0.0.0.0:2379 0.0.0.0:* users:(("etcd",pid=10,fd=7))
LISTEN 0 128 [::]:22 [::]:* users:(("sshd",pid=1,fd=4))
LISTEN 0 5 *:10250 *:*
"""


def test_parse_probe_reads_every_section() -> None:
    probe = parse_probe(OUTPUT)
    assert probe.fstab_swap is True
    assert probe.modules == {"overlay": "loaded", "br_netfilter": "available", "ip_vs": "absent"}
    assert "noexec" in probe.tmp_options
    assert probe.var_lib_free_mib == 10240
    assert probe.leftovers == ("/etc/kubernetes/kubelet.conf", "/var/lib/etcd")
    assert probe.listening == {2379: "etcd", 22: "sshd", 10250: ""}


def test_parse_probe_of_empty_output_is_neutral() -> None:
    probe = parse_probe("")
    assert (probe.fstab_swap, probe.modules, probe.tmp_options) == (False, {}, ())
    assert probe.var_lib_free_mib is None and probe.listening == {}


def test_probe_script_quotes_module_names_and_covers_each_section() -> None:
    script = probe_script(["overlay", "bad name"])
    assert "'bad name'" in script
    for section in ("@@fstab", "@@modules", "@@tmp", "@@varlib", "@@leftovers", "@@ports"):
        assert section in script


def _ctx(conn: FakeConnection) -> NodeContext:
    return NodeContext(
        "n1", conn, {}, ScopedCache(Scope.TASK), "preflight/check-host", dry_run=False
    )


async def test_load_probe_runs_once_per_host_with_sudo() -> None:
    fake = FakeConnection("n1")
    fake.script("@@fstab", Result(0, OUTPUT, ""))
    ctx = _ctx(fake)
    first = await load_probe(ctx, ["overlay"])
    second = await load_probe(ctx, ["overlay"])
    assert first is second
    assert len(fake.ran) == 1 and fake.sudo_flags == [True]
    assert first.sudo_error == ""


async def test_load_probe_records_a_sudo_failure_and_reads_as_the_user() -> None:
    fake = FakeConnection("n1")

    def answer(cmd: str, conn: FakeConnection) -> Result:
        if conn.sudo_flags[-1]:
            raise ConnectError("n1", "sudo needs a password", "set the host's password")
        return Result(0, OUTPUT, "")

    fake.script("@@fstab", answer)
    probe = await load_probe(_ctx(fake), ["overlay"])
    assert "sudo needs a password" in probe.sudo_error
    assert probe.fstab_swap is True
    assert fake.sudo_flags == [True, False]


async def test_load_probe_keeps_the_connection_diagnostics() -> None:
    fake = FakeConnection("n1")
    fake.script("@@fstab", Result(0, "", ""))
    # ``diagnostics`` is an attribute of the SSH connection, not of the fake
    setattr(fake, "diagnostics", ["[n1] sudo took 3.0s (over 2s)"])  # noqa: B010
    probe = await load_probe(_ctx(fake), [])
    assert probe.diagnostics == ("[n1] sudo took 3.0s (over 2s)",)


@pytest.mark.parametrize("line", ["", "x", "LISTEN 0 1 nowhere"], ids=["empty", "short", "noport"])
def test_unparseable_port_lines_are_ignored(line: str) -> None:
    assert parse_probe(f"@@ports\n{line}\n").listening == {}
