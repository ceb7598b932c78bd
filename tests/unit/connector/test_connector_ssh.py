"""SSH transport: unit tests of its helpers, and real-sshd tests (marker ``sshd``)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncssh
import pytest
from loopback_sshd import NOPASSWD_USER, PASSPHRASE, PASSWORD, SUDO_USER, LoopbackSSHD

from kubexm.connector import ssh
from kubexm.connector.hostkeys import HostKeyPolicy, KnownHosts
from kubexm.connector.settings import SSHSettings
from kubexm.connector.ssh import (
    Keys,
    SSHConnection,
    agent_keys,
    connect_options,
    connect_ssh,
    dial,
    load_keys,
    open_ssh,
)
from kubexm.errors import (
    AuthError,
    CommandError,
    CommandTimeout,
    ConnectError,
    HostKeyError,
    TransferError,
)

# ---------------------------------------------------------------- helpers without sshd


def _policy(settings: SSHSettings) -> HostKeyPolicy:
    return HostKeyPolicy(KnownHosts(None), settings.address, settings.port, False)


def test_load_keys_prefers_inline_key_over_path(tmp_path: Path) -> None:
    inline = asyncssh.generate_private_key("ssh-ed25519")
    on_disk = asyncssh.generate_private_key("ssh-ed25519")
    path = tmp_path / "key"
    on_disk.write_private_key(str(path))
    text = inline.export_private_key().decode()
    settings = SSHSettings("n1", "h", private_key=text, private_key_path=path)

    (loaded,) = load_keys(settings)

    assert loaded.public_data == inline.public_data


def test_load_keys_decrypts_with_passphrase(tmp_path: Path) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    path = tmp_path / "key"
    key.write_private_key(str(path), "pkcs8-pem", passphrase="s3cret")

    (loaded,) = load_keys(SSHSettings("n1", "h", private_key_path=path, passphrase="s3cret"))

    assert loaded.public_data == key.public_data


def test_load_keys_is_empty_without_key() -> None:
    assert load_keys(SSHSettings("n1", "h", password="pw")) == []


def test_connect_options_never_read_user_ssh_files() -> None:
    settings = SSHSettings("n1", "h", password="pw")

    options = connect_options(settings, _policy(settings))

    assert options["config"] is None
    assert options["client_keys"] is None
    assert options["agent_path"] is None
    assert options["known_hosts"] == ([], [], [])


def test_connect_options_put_agent_keys_before_configured_keys(tmp_path: Path) -> None:
    from_agent = asyncssh.load_keypairs([asyncssh.generate_private_key("ssh-ed25519")])
    configured = asyncssh.generate_private_key("ssh-ed25519")
    path = tmp_path / "key"
    configured.write_private_key(str(path))
    settings = SSHSettings("n1", "h", private_key_path=path, use_agent=True)

    keys = connect_options(settings, _policy(settings), from_agent)["client_keys"]

    assert keys[0] is from_agent[0]
    assert keys[1].public_data == configured.public_data


async def test_agent_keys_are_none_unless_asked() -> None:
    assert await agent_keys(SSHSettings("n1", "h")) == (None, [])


class _CountingDialer:
    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.calls = 0

    async def __call__(
        self, settings: SSHSettings, tunnel: object, policy: HostKeyPolicy, keys: Keys
    ) -> asyncssh.SSHClientConnection:
        self.calls += 1
        raise self.error


@pytest.mark.parametrize(
    ("error", "calls"),
    [
        pytest.param(ConnectionRefusedError(), 3, id="refused-is-retried"),
        pytest.param(TimeoutError(), 3, id="timeout-is-retried"),
        pytest.param(socket.gaierror(-2, "Name or service not known"), 1, id="dns-is-final"),
        pytest.param(asyncssh.KeyExchangeFailed("no alg"), 1, id="handshake-is-final"),
    ],
)
async def test_open_ssh_retries_only_network_failures(error: BaseException, calls: int) -> None:
    dialer = _CountingDialer(error)
    settings = SSHSettings("n1", "h", connect_retries=2, retry_backoff=0.001)

    with pytest.raises(ConnectError):
        await open_ssh(settings, None, dialer)

    assert dialer.calls == calls


MISSING_KEY = Path("/nonexistent/id_ed25519")


async def test_a_missing_key_file_fails_before_any_dial_and_is_not_retried() -> None:
    dialer = _CountingDialer(ConnectionRefusedError())
    settings = SSHSettings(
        "n1",
        "192.0.2.2",
        port=2222,
        private_key_path=MISSING_KEY,
        key_field="spec.hosts[0].privateKeyPath",
        connect_retries=3,
    )

    with pytest.raises(ConnectError) as caught:
        await connect_ssh(settings, dialer=dialer)

    assert dialer.calls == 0
    assert str(caught.value).startswith(
        "[n1] the private key file /nonexistent/id_ed25519 (spec.hosts[0].privateKeyPath)"
        " does not exist (hint: fix the path"
    )
    assert "cannot reach" not in str(caught.value)


async def test_the_target_key_is_checked_before_the_bastion_is_dialled(tmp_path: Path) -> None:
    dialer = _CountingDialer(ConnectionRefusedError())
    good = tmp_path / "key"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(good))
    bastion = SSHSettings("jump", "192.0.2.1", private_key_path=good)
    settings = SSHSettings("n1", "192.0.2.2", private_key_path=MISSING_KEY, bastion=bastion)

    with pytest.raises(ConnectError, match=r"^\[n1\] the private key file"):
        await connect_ssh(settings, dialer=dialer)

    assert dialer.calls == 0


async def test_open_ssh_loads_the_keys_once_for_every_retry(tmp_path: Path) -> None:
    path = tmp_path / "key"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(path))
    seen: list[Keys] = []

    async def refusing(
        settings: SSHSettings, tunnel: object, policy: HostKeyPolicy, keys: Keys
    ) -> asyncssh.SSHClientConnection:
        seen.append(keys)
        raise ConnectionRefusedError

    settings = SSHSettings("n1", "h", private_key_path=path, retry_backoff=0.001)
    with pytest.raises(ConnectError, match="connection refused"):
        await open_ssh(settings, None, refusing)

    assert len(seen) == 3
    assert all(keys is seen[0] for keys in seen)
    assert len(seen[0]) == 1


# ---------------------------------------------------------------- real sshd

needs_sudo = pytest.mark.skipif(shutil.which("sudo") is None, reason="needs sudo installed")


def _settings(server: LoopbackSSHD, user: str = "root", **changes: object) -> SSHSettings:
    base = SSHSettings(
        host_name="node1",
        address="127.0.0.1",
        port=server.port,
        user=user,
        private_key_path=server.client_key,
        known_hosts_path=server.workdir / "known_hosts",
        connect_timeout=10,
        retry_backoff=0.05,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]  # test-only kwargs


@pytest.fixture
async def root_conn(sshd: LoopbackSSHD) -> AsyncIterator[SSHConnection]:
    conn = await connect_ssh(_settings(sshd))
    yield conn
    await conn.close()


@pytest.fixture
async def sudo_conn(sshd: LoopbackSSHD) -> AsyncIterator[SSHConnection]:
    conn = await connect_ssh(_settings(sshd, SUDO_USER, private_key_path=None, password=PASSWORD))
    yield conn
    await conn.close()


@pytest.mark.sshd
async def test_key_auth_runs_commands_on_one_reused_connection(root_conn: SSHConnection) -> None:
    first = await root_conn.run("id -un")
    second = await root_conn.run("echo $((6*7))")

    assert (first.stdout, second.stdout) == ("root\n", "42\n")


@pytest.mark.sshd
async def test_password_auth_logs_in(sshd: LoopbackSSHD) -> None:
    conn = await connect_ssh(_settings(sshd, SUDO_USER, private_key_path=None, password=PASSWORD))
    try:
        assert (await conn.run("id -un")).stdout == f"{SUDO_USER}\n"
    finally:
        await conn.close()


@pytest.mark.sshd
@pytest.mark.parametrize("inline", [False, True], ids=["key-file", "inline-key"])
async def test_encrypted_key_logs_in_with_passphrase(sshd: LoopbackSSHD, inline: bool) -> None:
    text = sshd.encrypted_key.read_text() if inline else None
    path = None if inline else sshd.encrypted_key
    settings = _settings(sshd, private_key=text, private_key_path=path, passphrase=PASSPHRASE)

    conn = await connect_ssh(settings)
    await conn.close()


@pytest.mark.sshd
async def test_wrong_passphrase_is_a_connect_error_without_the_passphrase(
    sshd: LoopbackSSHD,
) -> None:
    settings = _settings(sshd, private_key_path=sshd.encrypted_key, passphrase="wrong-phrase")

    with pytest.raises(ConnectError, match="decrypt the private key") as caught:
        await connect_ssh(settings)

    assert "wrong-phrase" not in str(caught.value)


@pytest.mark.sshd
async def test_encrypted_key_without_passphrase_says_how_to_fix_it(sshd: LoopbackSSHD) -> None:
    settings = _settings(
        sshd, private_key_path=sshd.encrypted_key, key_field="spec.global.privateKeyPath"
    )

    with pytest.raises(ConnectError) as caught:
        await connect_ssh(settings)

    assert caught.value.message == (
        f"[node1] the private key file {sshd.encrypted_key} (spec.global.privateKeyPath)"
        " is encrypted and no passphrase is set for it"
    )
    assert caught.value.hint.startswith("kubexm has no setting for a key passphrase")


@pytest.mark.sshd
@pytest.mark.parametrize(
    ("make", "message", "hint"),
    [
        pytest.param(lambda d: d / "absent", "does not exist", "fix the path", id="missing"),
        pytest.param(
            lambda d: d, "is a directory", "name the private key file itself", id="directory"
        ),
        pytest.param(
            lambda d: _written(d / "junk", "not a key\n"),
            "is not a private key kubexm can read: Invalid private key",
            "an OpenSSH or PEM file",
            id="not-a-key",
        ),
    ],
)
async def test_an_unusable_key_file_is_named_with_its_field_and_fix(
    sshd: LoopbackSSHD,
    tmp_path: Path,
    make: Callable[[Path], Path],
    message: str,
    hint: str,
) -> None:
    path = make(tmp_path)
    settings = _settings(sshd, private_key_path=path, key_field="spec.hosts[3].privateKeyPath")

    with pytest.raises(ConnectError) as caught:
        await connect_ssh(settings)

    named = f"the private key file {path} (spec.hosts[3].privateKeyPath)"
    assert caught.value.message == f"[node1] {named} {message}"
    assert hint in caught.value.hint


@pytest.mark.sshd
async def test_the_public_key_file_in_place_of_the_private_one_is_spotted(
    sshd: LoopbackSSHD,
) -> None:
    settings = _settings(sshd, private_key_path=sshd.client_key.with_suffix(".pub"))

    with pytest.raises(ConnectError) as caught:
        await connect_ssh(settings)

    assert caught.value.hint == "that is the public key: name the file without .pub"


def _written(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.sshd
async def test_agent_auth_uses_keys_from_ssh_agent(
    sshd: LoopbackSSHD, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.02)
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
        subprocess.run(["ssh-add", "-q", str(sshd.client_key)], env=env, check=True)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        conn = await connect_ssh(_settings(sshd, private_key_path=None, use_agent=True))
        assert (await conn.run("true")).ok
        await conn.close()
    finally:
        agent.terminate()
        agent.wait()


@pytest.mark.sshd
async def test_wrong_password_reports_offered_and_tried_methods(sshd: LoopbackSSHD) -> None:
    settings = _settings(sshd, SUDO_USER, private_key_path=None, password="not-it-123")

    with pytest.raises(AuthError) as caught:
        await connect_ssh(settings)

    text = str(caught.value)
    assert f"user={SUDO_USER}, offered: publickey,password; tried: password" in text
    assert "not-it-123" not in text


@pytest.mark.sshd
async def test_auth_failure_is_not_retried(sshd: LoopbackSSHD) -> None:
    calls = 0

    async def counting(
        settings: SSHSettings,
        tunnel: asyncssh.SSHClientConnection | None,
        policy: HostKeyPolicy,
        keys: Keys,
    ) -> asyncssh.SSHClientConnection:
        nonlocal calls
        calls += 1
        return await dial(settings, tunnel, policy, keys)

    settings = _settings(sshd, SUDO_USER, private_key_path=None, password="bad", connect_retries=3)
    with pytest.raises(AuthError):
        await connect_ssh(settings, dialer=counting)

    assert calls == 1


@pytest.mark.sshd
async def test_refused_port_is_retried_then_reported_as_refused(sshd: LoopbackSSHD) -> None:
    calls = 0

    async def counting(
        settings: SSHSettings,
        tunnel: asyncssh.SSHClientConnection | None,
        policy: HostKeyPolicy,
        keys: Keys,
    ) -> asyncssh.SSHClientConnection:
        nonlocal calls
        calls += 1
        return await dial(settings, tunnel, policy, keys)

    closed_port = sshd.port + 1 if sshd.port < 65535 else sshd.port - 1
    settings = _settings(sshd, port=closed_port, connect_retries=2, retry_backoff=0.01)
    with pytest.raises(ConnectError, match=r"connection refused by 127\.0\.0\.1"):
        await connect_ssh(settings, dialer=counting)

    assert calls == 3


@pytest.mark.sshd
async def test_unresolvable_name_says_so(sshd: LoopbackSSHD) -> None:
    settings = _settings(sshd, address="kubexm-no-such-host.invalid", connect_retries=0)

    with pytest.raises(ConnectError, match="could not resolve host name"):
        await connect_ssh(settings)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP but never speaks SSH."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


@pytest.mark.sshd
async def test_connect_timeout_on_a_silent_port(sshd: LoopbackSSHD, silent_port: int) -> None:
    settings = _settings(sshd, port=silent_port, connect_timeout=0.5, connect_retries=0)
    start = time.monotonic()

    with pytest.raises(ConnectError, match=r"timed out after 0.5s"):
        await connect_ssh(settings)

    assert time.monotonic() - start < 5


@pytest.mark.sshd
async def test_command_timeout_kills_the_remote_process(root_conn: SSHConnection) -> None:
    with pytest.raises(CommandTimeout):
        await root_conn.run("sleep 1234.5", timeout=1)

    # The [4] keeps pgrep from matching the shell that runs it.
    left = await root_conn.run("pgrep -f 'sleep 123[4].5'", check=False)
    assert left.exit_status == 1, left.stdout


@pytest.mark.sshd
@needs_sudo
async def test_sudo_command_timeout_kills_the_root_process(sudo_conn: SSHConnection) -> None:
    with pytest.raises(CommandTimeout):
        await sudo_conn.run("sleep 1235.5", sudo=True, timeout=1)

    left = await sudo_conn.run("pgrep -f 'sleep 123[5].5'", check=False)
    assert left.exit_status == 1, left.stdout


@pytest.mark.sshd
async def test_failed_command_raises_with_output_and_is_run_once(root_conn: SSHConnection) -> None:
    marker = f"/tmp/kubexm-runs-{os.getpid()}"
    with pytest.raises(CommandError) as caught:
        await root_conn.run(f"echo run >> {marker}; echo boom >&2; exit 3")

    count = await root_conn.run(f"wc -l < {marker}; rm -f {marker}")
    assert (caught.value.exit_status, caught.value.stderr) == (3, "boom\n")
    assert count.stdout.strip() == "1"


@pytest.mark.sshd
async def test_env_and_stdin_reach_the_command(root_conn: SSHConnection) -> None:
    result = await root_conn.run('echo "$GREETING"; cat', env={"GREETING": "hi there"}, stdin="x")

    assert result.stdout == "hi there\nx"


@pytest.mark.sshd
@needs_sudo
async def test_sudo_with_password_feeds_stdin_after_the_password(
    sudo_conn: SSHConnection,
) -> None:
    result = await sudo_conn.run("id -un; cat", sudo=True, stdin=b"payload\n")

    assert result.stdout == "root\npayload\n"


@pytest.mark.sshd
@needs_sudo
async def test_sudo_password_never_shows_in_process_list(sudo_conn: SSHConnection) -> None:
    seen = await sudo_conn.run("ps -eo args", sudo=True)

    assert "sudo -k -S -p" in seen.stdout
    assert PASSWORD not in seen.stdout


@pytest.mark.sshd
@needs_sudo
async def test_sudo_nopasswd_user_elevates(sshd: LoopbackSSHD) -> None:
    conn = await connect_ssh(_settings(sshd, NOPASSWD_USER))
    try:
        assert (await conn.run("id -un", sudo=True)).stdout == "root\n"
        assert conn.diagnostics == []
    finally:
        await conn.close()


@pytest.mark.sshd
@needs_sudo
async def test_sudo_without_configured_password_explains(sshd: LoopbackSSHD) -> None:
    conn = await connect_ssh(_settings(sshd, SUDO_USER))
    try:
        with pytest.raises(ConnectError, match="sudo needs a password for kxtest"):
            await conn.run("true", sudo=True)
    finally:
        await conn.close()


@pytest.mark.sshd
@needs_sudo
async def test_wrong_sudo_password_is_an_auth_error(sshd: LoopbackSSHD) -> None:
    settings = _settings(sshd, SUDO_USER, sudo_password="wrong-sudo-pw")
    conn = await connect_ssh(settings)
    try:
        with pytest.raises(AuthError, match="sudo rejected the password") as caught:
            await conn.run("true", sudo=True)
        assert "wrong-sudo-pw" not in str(caught.value)
    finally:
        await conn.close()


@pytest.mark.sshd
async def test_changed_host_key_shows_both_fingerprints(sshd: LoopbackSSHD, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    impostor = asyncssh.generate_private_key("ssh-ed25519")
    KnownHosts(known).record("127.0.0.1", sshd.port, impostor)
    real = asyncssh.read_public_key(f"{sshd.host_key}.pub")

    with pytest.raises(HostKeyError) as caught:
        await connect_ssh(_settings(sshd, known_hosts_path=known))

    text = str(caught.value)
    assert impostor.get_fingerprint("sha256") in text
    assert real.get_fingerprint("sha256") in text
    assert f"line 1 of {known}" in text and "--accept-new-host-keys" in text


@pytest.mark.sshd
async def test_accepting_a_new_host_key_replaces_the_entry(
    sshd: LoopbackSSHD, tmp_path: Path
) -> None:
    known = tmp_path / "known_hosts"
    KnownHosts(known).record("127.0.0.1", sshd.port, asyncssh.generate_private_key("ssh-ed25519"))

    conn = await connect_ssh(_settings(sshd, known_hosts_path=known, accept_new_host_key=True))
    await conn.close()

    entry = KnownHosts(known).lookup("127.0.0.1", sshd.port)
    assert entry is not None
    assert entry.key == asyncssh.read_public_key(f"{sshd.host_key}.pub")


@pytest.mark.sshd
async def test_first_connection_records_the_host_key(sshd: LoopbackSSHD, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"

    conn = await connect_ssh(_settings(sshd, known_hosts_path=known))
    await conn.close()

    assert known.read_text().startswith(f"[127.0.0.1]:{sshd.port} ssh-ed25519 ")


@pytest.mark.sshd
async def test_put_skips_when_content_mode_and_owner_match(
    root_conn: SSHConnection, tmp_path: Path
) -> None:
    target = f"/tmp/kubexm-put-{os.getpid()}/conf.txt"
    source = tmp_path / "conf.txt"
    source.write_text("hello\n")

    first = await root_conn.put(source, target, mode=0o640)
    again = await root_conn.put(source, target, mode=0o640)
    changed_mode = await root_conn.put(source, target, mode=0o600)

    assert (first, again, changed_mode) == (True, False, True)
    await root_conn.run(f"rm -rf /tmp/kubexm-put-{os.getpid()}")


@pytest.mark.sshd
async def test_put_of_a_local_symlink_sends_the_file_it_points_to(
    root_conn: SSHConnection, tmp_path: Path
) -> None:
    real = tmp_path / "real.bin"
    real.write_bytes(b"payload\n")
    link = tmp_path / "link.bin"
    link.symlink_to(real)
    target = f"/tmp/kubexm-link-{os.getpid()}"

    assert await root_conn.put(link, target, mode=0o644)
    kind = await root_conn.run(f"stat -c %F {target}; cat {target}; rm -f {target}")

    assert kind.stdout == "regular file\npayload\n"


@pytest.mark.sshd
async def test_put_sets_mode_and_owner(root_conn: SSHConnection) -> None:
    target = f"/tmp/kubexm-own-{os.getpid()}"

    await root_conn.put(b"data", target, mode=0o600, owner=f"{SUDO_USER}:{SUDO_USER}")
    stat = await root_conn.run(f"stat -c '%a %U:%G' {target}; rm -f {target}")

    assert stat.stdout == f"600 {SUDO_USER}:{SUDO_USER}\n"


@pytest.mark.sshd
@needs_sudo
async def test_put_with_sudo_stages_and_installs_as_root(sudo_conn: SSHConnection) -> None:
    target = f"/etc/kubexm-sudo-put-{os.getpid()}"

    changed = await sudo_conn.put(b"root data\n", target, mode=0o600, sudo=True)
    again = await sudo_conn.put(b"root data\n", target, mode=0o600, sudo=True)
    stat = await sudo_conn.run(f"stat -c '%a %U' {target}; cat {target}", sudo=True)
    await sudo_conn.run(f"rm -f {target}", sudo=True)
    leftovers = await sudo_conn.run(f"find /tmp -maxdepth 1 -name '.kubexm-*' -user {SUDO_USER}")

    assert (changed, again) == (True, False)
    assert stat.stdout == "600 root\nroot data\n"
    assert leftovers.stdout == ""


@pytest.mark.sshd
async def test_put_without_permission_raises_transfer_error(sudo_conn: SSHConnection) -> None:
    with pytest.raises(TransferError, match="upload to /etc/kubexm-denied"):
        await sudo_conn.put(b"x", "/etc/kubexm-denied")


@pytest.fixture
def stream_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stream every local file, in 7-byte chunks, so small test files take the bulk path."""
    monkeypatch.setattr(ssh, "STREAM_MIN_BYTES", 1)
    monkeypatch.setattr(ssh, "STREAM_CHUNK", 7)


@pytest.mark.sshd
@pytest.mark.usefixtures("stream_everything")
async def test_put_of_a_large_file_streams_it_and_renames(
    root_conn: SSHConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "blob"
    source.write_bytes(os.urandom(1000))
    streamed: list[str] = []
    original = root_conn.stream_file

    async def spy(src: Path, path: str) -> None:
        streamed.append(path)
        await original(src, path)

    monkeypatch.setattr(root_conn, "stream_file", spy)
    folder = f"/tmp/kubexm-stream-{os.getpid()}"

    assert await root_conn.put(source, f"{folder}/blob", mode=0o640)
    seen = await root_conn.run(
        f"stat -c %a {folder}/blob; sha256sum < {folder}/blob; ls -A {folder}"
    )
    await root_conn.run(f"rm -rf {folder}")

    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    assert seen.stdout == f"640\n{digest}  -\nblob\n"
    assert len(streamed) == 1 and streamed[0].startswith(f"{folder}/.blob.kubexm-")


@pytest.mark.sshd
async def test_stream_file_creates_a_private_file(root_conn: SSHConnection, tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 100)
    target = f"/tmp/kubexm-private-{os.getpid()}"

    await root_conn.stream_file(tmp_path / "f", target)
    seen = await root_conn.run(f"stat -c '%a %s' {target}; rm -f {target}")

    assert seen.stdout == "600 100\n"


@pytest.mark.sshd
@pytest.mark.parametrize(
    ("target", "cause"),
    [("/etc/hostname", "File exists"), ("/nonexistent/f", "Directory nonexistent")],
    ids=["existing-file", "missing-folder"],
)
@pytest.mark.usefixtures("stream_everything")
async def test_stream_file_failure_carries_the_shell_message(
    root_conn: SSHConnection, tmp_path: Path, target: str, cause: str
) -> None:
    (tmp_path / "f").write_bytes(b"y" * 5000)

    with pytest.raises(CommandError, match=cause):
        await root_conn.stream_file(tmp_path / "f", target)


@pytest.mark.sshd
@pytest.mark.usefixtures("stream_everything")
async def test_put_sends_no_eof_and_leaves_nothing_when_reading_fails(
    root_conn: SSHConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(src: Path) -> Iterator[bytes]:
        yield b"first part"
        raise OSError("read error on the local disk")

    monkeypatch.setattr(ssh, "_chunks", failing)
    (tmp_path / "f").write_bytes(b"z" * 100)
    folder = f"/tmp/kubexm-broken-{os.getpid()}"

    with pytest.raises(TransferError, match="read error on the local disk"):
        await root_conn.put(tmp_path / "f", f"{folder}/f")
    left = await root_conn.run(f"ls -A {folder}; rm -rf {folder}")

    assert left.stdout == ""


@pytest.mark.sshd
@needs_sudo
@pytest.mark.usefixtures("stream_everything")
async def test_put_with_sudo_streams_a_large_file_then_installs_it(
    sudo_conn: SSHConnection, tmp_path: Path
) -> None:
    (tmp_path / "f").write_bytes(b"root bulk\n" * 10)
    target = f"/etc/kubexm-sudo-stream-{os.getpid()}"

    assert await sudo_conn.put(tmp_path / "f", target, mode=0o600, sudo=True)
    assert not await sudo_conn.put(tmp_path / "f", target, mode=0o600, sudo=True)
    seen = await sudo_conn.run(f"stat -c '%a %U %s' {target}; rm -f {target}", sudo=True)
    leftovers = await sudo_conn.run(f"find /tmp -maxdepth 1 -name '.kubexm-*' -user {SUDO_USER}")

    assert seen.stdout == "600 root 100\n"
    assert leftovers.stdout == ""


@pytest.mark.sshd
async def test_get_copies_a_file(root_conn: SSHConnection, tmp_path: Path) -> None:
    await root_conn.run("printf 'abc' > /tmp/kubexm-get-src")

    await root_conn.get("/tmp/kubexm-get-src", tmp_path / "sub" / "copy")
    await root_conn.run("rm -f /tmp/kubexm-get-src")

    assert (tmp_path / "sub" / "copy").read_text() == "abc"


@pytest.mark.sshd
@needs_sudo
async def test_get_with_sudo_reads_a_root_only_file(
    sudo_conn: SSHConnection, tmp_path: Path
) -> None:
    await sudo_conn.run("printf 'secret' > /root/kubexm-get; chmod 600 /root/kubexm-get", sudo=True)

    await sudo_conn.get("/root/kubexm-get", tmp_path / "copy", sudo=True)

    assert (tmp_path / "copy").read_text() == "secret"


@pytest.mark.sshd
async def test_get_of_missing_file_raises_transfer_error(
    root_conn: SSHConnection, tmp_path: Path
) -> None:
    with pytest.raises(TransferError, match="download of /nonexistent"):
        await root_conn.get("/nonexistent/file", tmp_path / "x")


@pytest.mark.sshd
async def test_bastion_jump_with_its_own_credentials(sshd: LoopbackSSHD) -> None:
    bastion = _settings(sshd, host_name="bastion")
    target = _settings(sshd, SUDO_USER, private_key_path=None, password=PASSWORD, bastion=bastion)

    conn = await connect_ssh(target)
    try:
        assert (await conn.run("id -un")).stdout == f"{SUDO_USER}\n"
    finally:
        await conn.close()


@pytest.mark.sshd
async def test_bastion_failure_names_the_bastion(sshd: LoopbackSSHD) -> None:
    bastion = _settings(sshd, SUDO_USER, host_name="jump", private_key_path=None, password="x")

    with pytest.raises(AuthError, match=r"^\[jump\] authentication failed"):
        await connect_ssh(_settings(sshd, bastion=bastion))


@pytest.mark.sshd
async def test_close_twice_is_safe(sshd: LoopbackSSHD) -> None:
    conn = await connect_ssh(_settings(sshd))
    await conn.close()
    await conn.close()


@pytest.mark.sshd
async def test_many_parallel_commands_share_one_connection(root_conn: SSHConnection) -> None:
    results = await asyncio.gather(*(root_conn.run(f"echo {i}") for i in range(30)))

    assert [r.stdout for r in results] == [f"{i}\n" for i in range(30)]
