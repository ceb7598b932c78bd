"""put/get logic over the FileOps primitives, with a recording fake transport."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kubexm.connector import transfer
from kubexm.connector.base import Result
from kubexm.connector.transfer import (
    RemoteState,
    finalize_command,
    local_sha256,
    owner_matches,
    parse_state,
    state_command,
    temp_name,
)
from kubexm.errors import CommandError, TransferError

DATA = b"payload\n"
DIGEST = hashlib.sha256(DATA).hexdigest()


class FakeOps:
    """Answers the state query with ``state``; records commands, uploads and downloads."""

    def __init__(self, state: str = "", is_root: bool = True, fail_on: str = "") -> None:
        self.files: dict[str, int] = {}
        self.folders: list[str] = []
        self.host = "n1"
        self.user = "ops"
        self.is_root = is_root
        self.state = state
        self.fail_on = fail_on
        self.commands: list[tuple[str, bool]] = []
        self.uploads: list[str] = []

    async def run(
        self, cmd: str, *, sudo: bool = False, check: bool = True, timeout: float | None = None
    ) -> Result:
        self.commands.append((cmd, sudo))
        if self.fail_on and self.fail_on in cmd:
            raise CommandError(self.host, cmd, 1, "", "Permission denied")
        return Result(0, self.state if cmd.startswith("mkdir -p") else "", "")

    async def upload_file(self, src: Path | bytes, path: str) -> None:
        self.uploads.append(path)

    async def download_file(self, path: str, local: Path) -> None:
        local.write_bytes(b"remote:" + path.encode())

    async def exists(self, path: str) -> bool:
        return bool(self.state)

    async def make_dirs(self, path: str) -> None:
        self.folders.append(path)

    async def place(self, tmp: str, path: str, mode: int) -> None:
        if self.fail_on == "place":
            raise OSError("rename failed")
        self.files[path] = mode


@pytest.mark.parametrize(
    ("current", "wanted", "ok"),
    [
        ("root:root", None, True),
        ("root:root", "root", True),
        ("root:adm", "root:root", False),
        ("etcd:etcd", "etcd:etcd", True),
        ("etcd:etcd", "root", False),
    ],
    ids=["any", "user-only", "group-differs", "both-match", "user-differs"],
)
def test_owner_matches(current: str, wanted: str | None, ok: bool) -> None:
    assert owner_matches(current, wanted) is ok


def test_local_sha256_of_bytes_and_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(DATA)

    assert local_sha256(DATA) == local_sha256(tmp_path / "f") == DIGEST


def test_state_command_quotes_the_path_and_makes_its_folder() -> None:
    line = state_command("/etc/a b/c d")

    assert line.startswith("mkdir -p -- '/etc/a b' && ")
    assert "sha256sum -- '/etc/a b/c d'" in line


@pytest.mark.parametrize(
    ("stdout", "state"),
    [
        pytest.param("", None, id="missing"),
        pytest.param(
            f"640 root:etcd\n{DIGEST}  /etc/x\n", RemoteState(DIGEST, 0o640, "root:etcd"), id="file"
        ),
    ],
)
def test_parse_state(stdout: str, state: RemoteState | None) -> None:
    assert parse_state(stdout) == state


def test_finalize_in_place_chmods_chowns_then_renames() -> None:
    line = finalize_command("/etc/.x.tmp", "/etc/x", 0o600, "etcd", staged=False)

    assert line.startswith("{ chmod 600 -- /etc/.x.tmp && chown -- etcd /etc/.x.tmp && mv -f")
    assert "|| { rm -f -- /etc/.x.tmp; exit 1; }" in line


@pytest.mark.parametrize(
    ("owner", "ids"),
    [(None, "-o root -g root"), ("etcd", "-o etcd"), ("etcd:adm", "-o etcd -g adm")],
    ids=["default-root", "user", "user-group"],
)
def test_finalize_staged_installs_then_renames(owner: str | None, ids: str) -> None:
    line = finalize_command("/tmp/.kubexm-1", "/etc/x", 0o644, owner, staged=True)

    assert line == (
        f"install -m 644 {ids} -- /tmp/.kubexm-1 /etc/x.kubexm-new && "
        "mv -f -- /etc/x.kubexm-new /etc/x"
    )


def test_temp_name_sits_beside_target_or_in_tmp() -> None:
    assert temp_name("/etc/k/conf", staged=False).startswith("/etc/k/.conf.kubexm-")
    assert temp_name("/etc/k/conf", staged=True).startswith("/tmp/.kubexm-")
    assert temp_name("conf", staged=False).startswith("./.conf.kubexm-")


async def test_put_skips_when_everything_matches() -> None:
    ops = FakeOps(state=f"644 root:root\n{DIGEST}  /etc/x\n")

    changed = await transfer.put(ops, DATA, "/etc/x", mode=0o644, owner="root", sudo=False)

    assert changed is False and ops.uploads == [] and len(ops.commands) == 1
    assert ops.commands[0][0].startswith("mkdir -p -- /etc && ")


@pytest.mark.parametrize(
    "state",
    ["", f"600 root:root\n{DIGEST}  /etc/x\n", f"644 root:root\n{'0' * 64}  /etc/x\n"],
    ids=["missing", "mode-differs", "content-differs"],
)
async def test_put_transfers_when_something_differs(state: str) -> None:
    ops = FakeOps(state=state)

    assert await transfer.put(ops, DATA, "/etc/x", mode=0o644, owner=None, sudo=False)
    assert ops.uploads[0].startswith("/etc/.x.kubexm-")


async def test_put_with_sudo_as_non_root_stages_and_cleans_up() -> None:
    ops = FakeOps(is_root=False)

    await transfer.put(ops, DATA, "/etc/x", mode=0o600, owner=None, sudo=True)

    staged = ops.uploads[0]
    assert staged.startswith("/tmp/.kubexm-")
    assert any(cmd.startswith("install -m 600") and sudo for cmd, sudo in ops.commands)
    assert ops.commands[-1] == (f"rm -f -- {staged}", False)


async def test_put_failure_is_a_transfer_error_and_staged_file_removed() -> None:
    ops = FakeOps(is_root=False, fail_on="install")

    with pytest.raises(TransferError, match=r"upload to /etc/x failed: .*Permission denied"):
        await transfer.put(ops, DATA, "/etc/x", mode=0o600, owner=None, sudo=True)

    assert ops.commands[-1][0].startswith("rm -f -- /tmp/.kubexm-")


async def test_get_reads_directly_without_sudo(tmp_path: Path) -> None:
    ops = FakeOps()

    await transfer.get(ops, "/etc/x", tmp_path / "d" / "x", sudo=False)

    assert (tmp_path / "d" / "x").read_bytes() == b"remote:/etc/x"
    assert ops.commands == []


async def test_get_with_sudo_copies_to_a_user_owned_temp_first(tmp_path: Path) -> None:
    ops = FakeOps(is_root=False)

    await transfer.get(ops, "/etc/x", tmp_path / "x", sudo=True)

    copy, elevated = ops.commands[0]
    assert copy.startswith("install -m 600 -o ops -- /etc/x /tmp/.kubexm-") and elevated
    assert ops.commands[-1][0].startswith("rm -f -- /tmp/.kubexm-")
    assert list(tmp_path.iterdir()) == [tmp_path / "x"]


async def test_get_failure_is_a_transfer_error_and_leaves_no_partial(tmp_path: Path) -> None:
    ops = FakeOps(is_root=False, fail_on="install")

    with pytest.raises(TransferError, match="download of /etc/x failed"):
        await transfer.get(ops, "/etc/x", tmp_path / "x", sudo=True)

    assert list(tmp_path.iterdir()) == []


async def test_put_of_a_new_file_needs_no_shell_command() -> None:
    ops = FakeOps(state="")

    assert await transfer.put(ops, DATA, "/etc/k/x", mode=0o600, owner=None, sudo=False)

    assert ops.commands == []
    assert ops.folders == ["/etc/k"] and ops.files == {"/etc/k/x": 0o600}


async def test_put_with_owner_finishes_through_the_shell() -> None:
    ops = FakeOps(state="")

    await transfer.put(ops, DATA, "/etc/x", mode=0o600, owner="etcd", sudo=False)

    assert ops.files == {}
    assert "chown -- etcd" in ops.commands[-1][0]


async def test_put_removes_the_temp_file_when_the_rename_fails() -> None:
    ops = FakeOps(state="", fail_on="place")

    with pytest.raises(TransferError, match="rename failed"):
        await transfer.put(ops, DATA, "/etc/x", mode=0o600, owner=None, sudo=False)

    assert ops.commands[-1][0].startswith("rm -f -- /etc/.x.kubexm-")


def _counting_sha256(monkeypatch: pytest.MonkeyPatch) -> list[Path | bytes]:
    """Record every local hash ``put`` computes (the real digest is still returned)."""
    hashed: list[Path | bytes] = []

    def counting(src: Path | bytes) -> str:
        hashed.append(src)
        return local_sha256(src)

    monkeypatch.setattr(transfer, "local_sha256", counting)
    return hashed


async def test_put_of_a_new_file_does_not_hash_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hashed = _counting_sha256(monkeypatch)
    (tmp_path / "big").write_bytes(DATA)
    ops = FakeOps(state="")

    assert await transfer.put(ops, tmp_path / "big", "/opt/x", mode=0o644, owner=None, sudo=False)

    assert hashed == [] and len(ops.uploads) == 1


@pytest.mark.parametrize(
    ("is_root", "sudo"), [(True, False), (False, True)], ids=["direct", "staged"]
)
async def test_put_over_an_existing_file_hashes_it_once(
    monkeypatch: pytest.MonkeyPatch, is_root: bool, sudo: bool
) -> None:
    hashed = _counting_sha256(monkeypatch)
    ops = FakeOps(state=f"644 root:root\n{DIGEST}  /etc/x\n", is_root=is_root)

    changed = await transfer.put(ops, DATA, "/etc/x", mode=0o644, owner=None, sudo=sudo)

    assert changed is False and hashed == [DATA] and ops.uploads == []
