"""The SSH connector against real lab hosts: bastion, timeouts, diagnoses, host keys, sudo.

The loopback tests in ``tests/unit/connector`` show each behaviour against one sshd on the
machine; here the same promises are checked where they matter, on separate hosts with their own
network stack, systemd, sshd and sudo. Whatever a test changes on a host (a firewall rule, a
stopped host, new host keys, files) it undoes in a ``finally``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncssh
import pytest

from kubexm.connector.hostkeys import KnownHosts
from kubexm.connector.pool import ConnectionPool
from kubexm.connector.settings import SSHSettings
from kubexm.connector.ssh import SSHConnection, connect_ssh
from kubexm.errors import AuthError, CommandTimeout, ConnectError, HostKeyError
from kubexm.lab import LabHost, RunningLab
from kubexm.lab.hosts import port_open
from kubexm.lab.system import run

pytestmark = pytest.mark.lab

# Short enough that a dropped or closed port fails fast, long enough for a busy machine.
CONNECT_TIMEOUT = 4.0
FIREWALL_CHAIN = "KXE2E-BASTION"


def root_login(host: LabHost, known_hosts: Path, **changes: object) -> SSHSettings:
    settings = SSHSettings(
        host_name=host.name,
        address=host.address,
        port=host.port,
        user="root",
        private_key_path=Path(host.root_key_path),
        known_hosts_path=known_hosts,
        connect_timeout=CONNECT_TIMEOUT,
        connect_retries=0,
    )
    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]  # kwargs by name


def admin_login(host: LabHost, known_hosts: Path, **changes: object) -> SSHSettings:
    """kxadmin with its password, which is also its sudo password; no key."""
    settings = SSHSettings(
        host_name=host.name,
        address=host.address,
        port=host.port,
        user=host.sudo_user,
        password=host.sudo_password,
        known_hosts_path=known_hosts,
        connect_timeout=CONNECT_TIMEOUT,
        connect_retries=0,
    )
    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]  # kwargs by name


@pytest.fixture
def known_hosts(tmp_path: Path) -> Path:
    return tmp_path / "known_hosts"


@contextlib.contextmanager
def ssh_only_from(target: LabHost, allowed: LabHost) -> Iterator[None]:
    """Inside ``target``'s network namespace, accept TCP 22 from ``allowed`` only.

    Rules live in their own chain, so removing it restores the host exactly; the namespace is
    named after the host (``kubexm.lab.network``).
    """
    chain = ["ip", "netns", "exec", target.name, "iptables", "-w"]
    run([*chain, "-N", FIREWALL_CHAIN])
    try:
        run([*chain, "-A", FIREWALL_CHAIN, "-p", "tcp", "--dport", "22", "-s", allowed.address,
             "-j", "ACCEPT"])  # fmt: skip
        run([*chain, "-A", FIREWALL_CHAIN, "-p", "tcp", "--dport", "22", "-j", "DROP"])
        run([*chain, "-I", "INPUT", "-j", FIREWALL_CHAIN])
        yield
    finally:
        run([*chain, "-D", "INPUT", "-j", FIREWALL_CHAIN], check=False)
        run([*chain, "-F", FIREWALL_CHAIN], check=False)
        run([*chain, "-X", FIREWALL_CHAIN], check=False)


async def test_bastion_reaches_a_host_closed_to_this_machine(
    lab: RunningLab, known_hosts: Path
) -> None:
    bastion, target = lab.hosts[0], lab.hosts[1]
    hop = root_login(bastion, known_hosts)

    with ssh_only_from(target, bastion):
        with pytest.raises(ConnectError) as direct:
            await connect_ssh(root_login(target, known_hosts))
        async with contextlib.AsyncExitStack() as opened:
            as_root = await connect_ssh(root_login(target, known_hosts, bastion=hop))
            opened.push_async_callback(as_root.close)
            as_admin = await connect_ssh(admin_login(target, known_hosts, bastion=hop))
            opened.push_async_callback(as_admin.close)
            root_seen = await as_root.run("hostname; echo $SSH_CLIENT")
            admin_seen = await as_admin.run("id -u; echo $SUDO_USER", sudo=True)

    assert direct.value.host == target.name
    assert f"timed out after {CONNECT_TIMEOUT:g}s connecting to {target.address}:22" in str(
        direct.value
    )
    name, client = root_seen.stdout.split("\n")[:2]
    assert name == target.name
    assert client.split()[0] == bastion.address  # the hop, not this machine
    assert admin_seen.stdout.split() == ["0", target.sudo_user]


@pytest.fixture
async def root_conn(lab: RunningLab, known_hosts: Path) -> AsyncIterator[SSHConnection]:
    conn = await connect_ssh(root_login(lab.hosts[0], known_hosts))
    yield conn
    await conn.close()


@pytest.fixture
async def admin_conn(lab: RunningLab, known_hosts: Path) -> AsyncIterator[SSHConnection]:
    conn = await connect_ssh(admin_login(lab.hosts[0], known_hosts))
    yield conn
    await conn.close()


@pytest.mark.parametrize("sudo", [False, True], ids=["root", "kxadmin-sudo"])
async def test_command_timeout_kills_the_remote_process(
    root_conn: SSHConnection, admin_conn: SSHConnection, sudo: bool
) -> None:
    conn = admin_conn if sudo else root_conn
    seconds = f"{4000 + sudo}.25"  # a command line no other test runs
    started = time.monotonic()

    with pytest.raises(CommandTimeout) as stopped:
        await conn.run(f"sleep {seconds}", sudo=sudo, timeout=1.5)
    elapsed = time.monotonic() - started
    # The [.] keeps pgrep from matching the shell that runs it.
    left = await root_conn.run(f"pgrep -af 'sleep {seconds.replace('.', '[.]')}'", check=False)

    assert stopped.value.host == conn.host
    assert 1.5 <= elapsed < 8  # `timeout` on the host stopped it, not the local backstop
    assert left.exit_status == 1, left.stdout


async def test_stopped_host_is_diagnosed_and_the_others_still_open(
    lab: RunningLab, known_hosts: Path
) -> None:
    up, down = lab.hosts[0], lab.hosts[-1]
    lab.stop(down.name)
    try:
        async with ConnectionPool() as pool:
            report = await pool.open_all(
                [root_login(up, known_hosts), root_login(down, known_hosts)]
            )
            alive = await pool.get(up.name).run("hostname")
    finally:
        lab.start(down.name)

    assert list(report.connections) == [up.name]
    assert alive.stdout.strip() == up.name
    failure = report.failures[down.name]
    assert isinstance(failure, ConnectError)
    assert failure.host == down.name
    text = str(failure)
    assert text.startswith(f"[{down.name}] ")
    assert f"{down.address}:22" in text
    assert "connection refused" in text or "timed out" in text


@pytest.mark.parametrize(
    ("user", "tried", "hint"),
    [
        ("kxadmin", "tried: password)", "check the user, key and password"),
        ("root", "tried: none)", "the server accepts publickey"),
    ],
    ids=["kxadmin-wrong-password", "root-password-not-offered"],
)
async def test_wrong_password_names_offered_and_tried_methods(
    lab: RunningLab, known_hosts: Path, user: str, tried: str, hint: str
) -> None:
    host = lab.hosts[0]
    wrong = f"not-{uuid.uuid4().hex}"

    with pytest.raises(AuthError) as failed:
        # sshd delays each failed password (PAM); a short connect timeout, which covers
        # authentication too, would turn that delay into a timeout on a loaded machine.
        await connect_ssh(
            admin_login(host, known_hosts, user=user, password=wrong, connect_timeout=30.0)
        )

    text = failed.value.message
    assert failed.value.host == host.name
    assert f"authentication failed (user={user}, offered: " in text
    assert text.endswith(tried)
    offered = text.split("offered: ", 1)[1].split(";", 1)[0].split(",")
    assert "publickey" in offered
    assert ("password" in offered) == (user == "kxadmin")  # sshd_config of the lab template
    assert failed.value.hint.startswith(hint)
    assert wrong not in text + failed.value.hint


def host_key_fingerprints(lab: RunningLab, host: LabHost) -> dict[str, str]:
    """Algorithm -> SHA256 fingerprint of every host key the host has on disk now."""
    text = lab.ssh(host.name, "cat /etc/ssh/ssh_host_*_key.pub").stdout
    keys = [asyncssh.import_public_key(line) for line in text.splitlines() if line.strip()]
    return {key.get_algorithm(): key.get_fingerprint("sha256") for key in keys}


def regenerate_host_keys(lab: RunningLab, host: LabHost) -> None:
    lab.ssh(host.name, "rm -f /etc/ssh/ssh_host_*; ssh-keygen -A; systemctl restart ssh")
    deadline = time.monotonic() + 30
    while not port_open(host.address, host.port):
        assert time.monotonic() < deadline, "sshd did not come back"
        time.sleep(0.2)


async def test_changed_host_key_is_refused_until_accepted(
    lab: RunningLab, known_hosts: Path
) -> None:
    host = lab.hosts[-1]
    first = await connect_ssh(root_login(host, known_hosts))
    await first.close()
    recorded = KnownHosts(known_hosts).lookup(host.address, host.port)
    assert recorded is not None
    algorithm = recorded.key.get_algorithm()

    regenerate_host_keys(lab, host)
    presented = host_key_fingerprints(lab, host)[algorithm]
    with pytest.raises(HostKeyError) as refused:
        await connect_ssh(root_login(host, known_hosts))
    accepted = await connect_ssh(root_login(host, known_hosts, accept_new_host_key=True))
    await accepted.close()
    again = await connect_ssh(root_login(host, known_hosts))
    await again.close()

    text = str(refused.value)
    old = recorded.key.get_fingerprint("sha256")
    assert old != presented
    assert f"recorded {old} ({algorithm}), presented {presented} ({algorithm})" in text
    assert f"line {recorded.line} of {known_hosts}" in refused.value.hint
    entry = KnownHosts(known_hosts).lookup(host.address, host.port)
    assert entry is not None
    assert entry.key.get_fingerprint("sha256") == presented


@pytest.fixture
async def scratch(root_conn: SSHConnection) -> AsyncIterator[str]:
    """A root-only folder on the first host, removed afterwards."""
    folder = f"/etc/kubexm-e2e-{uuid.uuid4().hex[:8]}"
    yield folder
    await root_conn.run(f"rm -rf -- {folder}")


async def staged_files(conn: SSHConnection) -> set[str]:
    """Files kubexm stages in /tmp for a sudo upload (``.kubexm-<token>``)."""
    listing = await conn.run("ls -a /tmp")
    return {name for name in listing.stdout.split() if name.startswith(".kubexm-")}


async def stat(conn: SSHConnection, path: str) -> str:
    return (await conn.run(f"stat -c '%a %U:%G' -- {path}")).stdout.strip()


async def test_put_and_get_with_sudo_as_kxadmin(
    admin_conn: SSHConnection, root_conn: SSHConnection, scratch: str, tmp_path: Path
) -> None:
    blob = tmp_path / "blob"
    blob.write_bytes(os.urandom(3_000_000))
    staged_before = await staged_files(root_conn)
    secret = f"{scratch}/sub/secret.key"
    shared = f"{scratch}/sub/shared.conf"

    first = await admin_conn.put(blob, secret, mode=0o600, sudo=True)
    again = await admin_conn.put(blob, secret, mode=0o600, sudo=True)
    to_admin = await admin_conn.put(b"a=1\n", shared, mode=0o640, owner="root:kxadmin", sudo=True)
    same_owner = await admin_conn.put(b"a=1\n", shared, mode=0o640, owner="root", sudo=True)
    new_mode = await admin_conn.put(b"a=1\n", shared, mode=0o644, owner="root:kxadmin", sudo=True)
    await admin_conn.get(secret, tmp_path / "back", sudo=True)
    direct = await admin_conn.run(f"cat {secret}", check=False)
    staged_after = await staged_files(root_conn)

    assert (first, again) == (True, False)
    assert (to_admin, same_owner, new_mode) == (True, False, True)
    assert await stat(root_conn, secret) == "600 root:root"
    assert await stat(root_conn, shared) == "644 root:kxadmin"
    assert (tmp_path / "back").read_bytes() == blob.read_bytes()
    assert direct.exit_status != 0  # kxadmin cannot read it without sudo
    assert staged_after <= staged_before  # nothing staged in /tmp is left behind


async def test_sudo_password_never_appears_in_ps(
    lab: RunningLab, admin_conn: SSHConnection, root_conn: SSHConnection
) -> None:
    password = lab.hosts[0].sudo_password
    marker = f"kx-ps-probe-{uuid.uuid4().hex[:8]}"
    snapshots: list[str] = []

    async def watch() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            seen = await root_conn.run("ps -eww -o args=")
            snapshots.append(seen.stdout)
            if "sudo -k -S" in seen.stdout and marker in seen.stdout:
                return
            await asyncio.sleep(0.05)

    command = admin_conn.run(f"sleep 3; : {marker}", sudo=True, timeout=30)
    await asyncio.gather(command, watch())
    journal = await root_conn.run("journalctl -q --no-pager -n 3000")

    assert any("sudo -k -S" in s and marker in s for s in snapshots)  # sudo itself was seen
    assert not any(password in s for s in snapshots)
    assert password not in journal.stdout
