from __future__ import annotations

import shlex

import pytest
from fakeconn import FAIL, OK, FakeConnection

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.runner.host import Host
from kubexm.runner.network import (
    curl_command,
    get_listening_ports,
    get_ports_in_use,
    parse_listening,
    wait_for_port,
    wait_for_url,
)

SS = (
    "LISTEN 0      4096       127.0.0.1:2379       0.0.0.0:*\n"
    "LISTEN 0      128          0.0.0.0:22         0.0.0.0:*\n"
    "LISTEN 0      4096               *:6443             *:*\n"
    "LISTEN 0      128             [::]:22            [::]:*\n"
    "LISTEN 0      4096   127.0.0.53%lo:53         0.0.0.0:*\n"
)


def test_parse_listening_reads_v4_v6_wildcard_and_scoped() -> None:
    assert parse_listening(SS) == frozenset({2379, 22, 6443, 53})


def test_parse_listening_ignores_garbage() -> None:
    assert parse_listening("\nnot a line\n") == frozenset()


async def test_get_listening_ports_uses_ss(host: Host, fake: FakeConnection) -> None:
    fake.script("ss -ltnH", Result(0, SS, ""))
    assert 6443 in await get_listening_ports(host)
    assert fake.ran == ["ss -ltnH"]


async def test_get_ports_in_use_returns_sorted_subset(host: Host, fake: FakeConnection) -> None:
    fake.script("ss -ltnH", Result(0, SS, ""))
    assert await get_ports_in_use(host, [10250, 6443, 2379]) == [2379, 6443]


async def test_wait_for_port_polls_until_listening(host: Host, fake: FakeConnection) -> None:
    fake.script("grep -qE ':2379$'", OK)
    await wait_for_port(host, 2379, timeout=5)
    assert "while :" in fake.ran[0]


async def test_wait_for_port_raises_after_timeout(host: Host, fake: FakeConnection) -> None:
    fake.script("grep -qE ':2379$'", FAIL)
    with pytest.raises(CommandError, match="port 2379"):
        await wait_for_port(host, 2379, timeout=5)


def test_curl_command_passes_client_certificates_quoted() -> None:
    cmd = curl_command("https://127.0.0.1:2379/health", ca="/p/ca.crt", cert="/p/c t", key="/p/k")
    argv = shlex.split(cmd)
    assert argv[:2] == ["curl", "-fsS"]
    assert argv[argv.index("--cacert") + 1] == "/p/ca.crt"
    assert argv[argv.index("--cert") + 1] == "/p/c t"
    assert argv[argv.index("--key") + 1] == "/p/k"
    assert argv[-1] == "https://127.0.0.1:2379/health"


def test_curl_command_without_certificates() -> None:
    assert "--cert" not in curl_command("http://x/healthz")


async def test_wait_for_url_polls_curl_on_host(host: Host, fake: FakeConnection) -> None:
    fake.script("curl -fsS", OK)
    await wait_for_url(host, "https://127.0.0.1:6443/readyz", ca="/etc/kubernetes/pki/ca.crt")
    assert "--cacert /etc/kubernetes/pki/ca.crt" in fake.ran[0]


async def test_wait_for_url_raises_when_never_healthy(host: Host, fake: FakeConnection) -> None:
    fake.script("curl -fsS", FAIL)
    with pytest.raises(CommandError, match="readyz healthy"):
        await wait_for_url(host, "https://127.0.0.1:6443/readyz", timeout=3)


async def test_waits_record_only_in_dry_run(fake: FakeConnection) -> None:
    dry = Host(fake, dry_run=True)
    await wait_for_port(dry, 2379)
    await wait_for_url(dry, "https://x/health")
    assert fake.ran == []
    assert dry.recorder.lines() == [
        "[node1] would wait for port 2379",
        "[node1] would wait for https://x/health healthy",
    ]
