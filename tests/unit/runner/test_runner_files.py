from __future__ import annotations

import hashlib

import pytest
from fakeconn import FakeConnection, assert_idempotent

from kubexm.errors import CommandError, KubexmError
from kubexm.runner.files import (
    FileState,
    ensure_absent,
    ensure_attributes,
    ensure_directory,
    ensure_file,
    ensure_symlink,
    ensure_template,
    file_exists,
    get_file_state,
    get_sha256,
    parse_probe,
    probe_command,
    read_file,
    render_template,
)
from kubexm.runner.host import Host

SHA_X = hashlib.sha256(b"x\n").hexdigest()


@pytest.mark.parametrize(
    ("stdout", "expected"),
    [
        ("", FileState("absent")),
        (
            f"640 root etcd regular file\n{SHA_X}  /etc/x\n",
            FileState("file", 0o640, "root", "etcd", SHA_X),
        ),
        (
            "0 root root regular empty file\n" + "e3b0" * 16 + "  /e\n",
            FileState("file", 0, "root", "root", "e3b0" * 16),
        ),
        ("755 root root directory\n", FileState("dir", 0o755, "root", "root")),
        (
            f"777 root root symbolic link\n{SHA_X}  /l\n/etc/x\n",
            FileState("link", 0o777, "root", "root", SHA_X, "/etc/x"),
        ),
        (
            "777 root root symbolic link\n../dangling\n",
            FileState("link", 0o777, "root", "root", None, "../dangling"),
        ),
        ("600 root root socket\n", FileState("other", 0o600, "root", "root")),
    ],
    ids=["absent", "file", "empty-file", "directory", "link", "dangling-link", "socket"],
)
def test_parse_probe_reads_every_kind(stdout: str, expected: FileState) -> None:
    assert parse_probe(stdout) == expected


def test_probe_command_quotes_the_path() -> None:
    assert "'/etc/a b'" in probe_command("/etc/a b")


@pytest.mark.parametrize(
    ("owner", "expected"),
    [(None, True), ("root", True), ("root:etcd", True), ("root:root", False), ("etcd", False)],
    ids=["any", "user", "user-group", "wrong-group", "wrong-user"],
)
def test_owned_by_compares_user_and_optional_group(owner: str | None, expected: bool) -> None:
    assert FileState("file", 0o644, "root", "etcd").owned_by(owner) is expected


async def test_get_file_state_of_written_file(host: Host, fake: FakeConnection) -> None:
    fake.write("/etc/x", "x\n", mode=0o600)
    state = await get_file_state(host, "/etc/x")
    assert (state.kind, state.mode, state.sha256) == ("file", 0o600, SHA_X)
    assert await get_sha256(host, "/etc/x") == SHA_X
    assert await get_sha256(host, "/etc/none") is None


async def test_file_exists_sees_files_dirs_and_links(host: Host, fake: FakeConnection) -> None:
    fake.write("/etc/x", "x")
    fake.links["/etc/l"] = "/nowhere"
    assert await file_exists(host, "/etc/x")
    assert await file_exists(host, "/etc")
    assert await file_exists(host, "/etc/l")
    assert not await file_exists(host, "/etc/y")


async def test_read_file_returns_text_and_raises_when_missing(
    host: Host, fake: FakeConnection
) -> None:
    fake.write("/etc/x", "hello\n")
    assert await read_file(host, "/etc/x") == "hello\n"
    with pytest.raises(CommandError):
        await read_file(host, "/etc/missing")


async def test_ensure_file_writes_then_is_unchanged(fake: FakeConnection) -> None:
    lines = await assert_idempotent(
        fake, lambda h: ensure_file(h, "/etc/kubexm/a.conf", "a=1\n", mode=0o600)
    )
    assert lines == ["[node1] would write /etc/kubexm/a.conf"]
    assert fake.text("/etc/kubexm/a.conf") == "a=1\n"
    assert fake.files["/etc/kubexm/a.conf"].mode == 0o600
    assert "/etc/kubexm" in fake.dirs


async def test_ensure_file_rewrites_when_only_the_mode_differs(
    host: Host, fake: FakeConnection
) -> None:
    fake.write("/etc/a", "same", mode=0o644)
    assert (await ensure_file(host, "/etc/a", "same", mode=0o600)).changed
    assert fake.files["/etc/a"].mode == 0o600


async def test_ensure_file_rewrites_when_owner_differs(host: Host, fake: FakeConnection) -> None:
    fake.write("/etc/a", "same")
    assert (await ensure_file(host, "/etc/a", "same", owner="etcd:etcd")).changed
    assert (fake.files["/etc/a"].owner, fake.files["/etc/a"].group) == ("etcd", "etcd")
    assert not (await ensure_file(host, "/etc/a", "same", owner="etcd:etcd")).changed


async def test_ensure_file_accepts_bytes(host: Host, fake: FakeConnection) -> None:
    await ensure_file(host, "/tmp/b", b"\x00\x01")
    assert fake.files["/tmp/b"].data == b"\x00\x01"


def test_render_template_fills_variables() -> None:
    assert render_template("port={{ port }}\n", {"port": 2379}) == "port=2379\n"


def test_render_template_reports_undefined_variable_as_kubexm_error() -> None:
    with pytest.raises(KubexmError, match="'port' is undefined"):
        render_template("port={{ port }}", {})


def test_render_template_reports_syntax_error() -> None:
    with pytest.raises(KubexmError, match="cannot render template"):
        render_template("{% if %}", {})


async def test_ensure_template_writes_rendered_text(fake: FakeConnection) -> None:
    await assert_idempotent(
        fake, lambda h: ensure_template(h, "/etc/t.conf", "name={{ n }}\n", {"n": "etcd"})
    )
    assert fake.text("/etc/t.conf") == "name=etcd\n"


async def test_ensure_directory_creates_then_is_unchanged(fake: FakeConnection) -> None:
    lines = await assert_idempotent(
        fake, lambda h: ensure_directory(h, "/var/lib/etcd/data", mode=0o700, owner="etcd")
    )
    assert lines == ["[node1] would create directory /var/lib/etcd/data"]
    assert fake.dirs["/var/lib/etcd/data"] == (0o700, "etcd", "root")


async def test_ensure_directory_fixes_mode_of_existing_directory(
    host: Host, fake: FakeConnection
) -> None:
    result = await ensure_directory(host, "/opt", mode=0o700)
    assert result.detail == "set mode/owner of /opt"
    assert fake.dirs["/opt"][0] == 0o700


async def test_ensure_absent_removes_tree_then_is_unchanged(fake: FakeConnection) -> None:
    fake.dirs["/etc/cni"] = (0o755, "root", "root")
    fake.write("/etc/cni/10-bridge.conf", "{}")
    await assert_idempotent(fake, lambda h: ensure_absent(h, "/etc/cni"))
    assert "/etc/cni/10-bridge.conf" not in fake.files
    assert "/etc/cni" not in fake.dirs


async def test_ensure_symlink_creates_and_then_is_unchanged(fake: FakeConnection) -> None:
    fake.write("/usr/local/bin/etcd-3.5", "bin")
    await assert_idempotent(
        fake, lambda h: ensure_symlink(h, "/usr/local/bin/etcd", "/usr/local/bin/etcd-3.5")
    )
    assert fake.links["/usr/local/bin/etcd"] == "/usr/local/bin/etcd-3.5"


async def test_ensure_symlink_retargets_a_wrong_link(host: Host, fake: FakeConnection) -> None:
    fake.links["/usr/local/bin/etcd"] = "/old"
    assert (await ensure_symlink(host, "/usr/local/bin/etcd", "/new")).changed
    assert fake.links["/usr/local/bin/etcd"] == "/new"


async def test_ensure_symlink_refuses_to_replace_a_directory(host: Host) -> None:
    with pytest.raises(KubexmError, match="directory is in the way"):
        await ensure_symlink(host, "/opt", "/elsewhere")


async def test_ensure_attributes_sets_mode_and_owner(fake: FakeConnection) -> None:
    fake.write("/etc/k.key", "k", mode=0o644)
    await assert_idempotent(
        fake, lambda h: ensure_attributes(h, "/etc/k.key", mode=0o600, owner="etcd:etcd")
    )
    f = fake.files["/etc/k.key"]
    assert (f.mode, f.owner, f.group) == (0o600, "etcd", "etcd")


async def test_ensure_attributes_raises_when_path_is_missing(host: Host) -> None:
    with pytest.raises(KubexmError, match="does not exist"):
        await ensure_attributes(host, "/etc/none", mode=0o600)
