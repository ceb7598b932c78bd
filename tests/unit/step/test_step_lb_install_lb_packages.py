"""InstallLbPackages: repositories online; offline the pushed files' dependency closure."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakeconn import OK, FakeConnection
from lb_step_helpers import Ctx, converge

from kubexm.connector.base import Result
from kubexm.errors import KubexmError
from kubexm.step.lb.install_lb_packages import REMOTE_DIR, InstallLbPackages

DEBS = {
    "haproxy_2.6_amd64.deb": "Package: haproxy\nDepends: libc6, liblua5.3-0\n",
    "liblua5.3-0_5.3_amd64.deb": "Package: liblua5.3-0\nDepends: libc6\n",
    "libc6_2.36_amd64.deb": "Package: libc6\n",
    "keepalived_2.2_amd64.deb": "Package: keepalived\nDepends: libc6\n",
}


class FakeDpkg:
    """dpkg-query, the closure index and ``dpkg -i`` of the fake host."""

    def __init__(self, installed: set[str]) -> None:
        self.installed = set(installed)
        self.given: list[str] = []

    def install(self, fake: FakeConnection) -> FakeDpkg:
        fake.script("${Package} ${db:Status-Status}", self.query)
        fake.script("${Package}\\t${db:Status-Status}", self.provides)
        fake.script("for f in *.deb", self.index)
        fake.script("dpkg -i", self.dpkg_i)
        fake.script("apt-get install", self.apt_install)
        return self

    def query(self, cmd: str, fake: FakeConnection) -> Result:
        out = "".join(f"{p} installed 1\n" for p in sorted(self.installed) if p in cmd)
        return Result(0 if out else 1, out, "")

    def provides(self, cmd: str, fake: FakeConnection) -> Result:
        return Result(0, "".join(f"{p}\tinstalled\t\n" for p in sorted(self.installed)), "")

    def index(self, cmd: str, fake: FakeConnection) -> Result:
        out = "".join(
            f"@@{name}\n{DEBS[name]}"
            for name in sorted(DEBS)
            if fake.exists(f"{REMOTE_DIR}/{name}")
        )
        return Result(0, out, "")

    def dpkg_i(self, cmd: str, fake: FakeConnection) -> Result:
        files = [w for w in cmd.split() if w.endswith(".deb")]
        self.given = [f.rsplit("/", 1)[1] for f in files]
        self.installed.update(name.split("_", 1)[0] for name in self.given)
        return OK

    def apt_install(self, cmd: str, fake: FakeConnection) -> Result:
        self.installed.update(w for w in cmd.split() if w in ("haproxy", "keepalived"))
        return OK


def local_debs(tmp_path: Path) -> tuple[str, ...]:
    for name in DEBS:
        (tmp_path / name).write_bytes(name.encode())
    return tuple(sorted(str(tmp_path / n) for n in DEBS))


async def test_offline_install_pushes_the_files_and_installs_only_the_closure(
    tmp_path: Path,
) -> None:
    ctx = Ctx()
    dpkg = FakeDpkg({"libc6"}).install(ctx.conn)
    step = InstallLbPackages(("keepalived", "haproxy"), "apt", local_debs(tmp_path))

    await converge(step, ctx)

    assert sorted(dpkg.given) == [
        "haproxy_2.6_amd64.deb", "keepalived_2.2_amd64.deb", "liblua5.3-0_5.3_amd64.deb"
    ]  # fmt: skip
    assert len(ctx.conn.puts) == len(DEBS)


async def test_nothing_is_pushed_when_every_package_is_installed(tmp_path: Path) -> None:
    ctx = Ctx()
    FakeDpkg({"haproxy", "keepalived"}).install(ctx.conn)
    step = InstallLbPackages(("keepalived", "haproxy"), "apt", local_debs(tmp_path))

    assert await step.check(ctx)
    await step.run(ctx)
    assert ctx.conn.puts == []


async def test_online_install_uses_the_repositories() -> None:
    ctx = Ctx()
    dpkg = FakeDpkg(set()).install(ctx.conn)
    ctx.conn.script("apt-get update", OK, times=1)

    await converge(InstallLbPackages(("haproxy",), "apt"), ctx)

    assert "haproxy" in dpkg.installed
    assert any("apt-get install" in c for c in ctx.conn.ran)


async def test_offline_folder_missing_a_dependency_names_it(tmp_path: Path) -> None:
    ctx = Ctx()
    FakeDpkg(set()).install(ctx.conn)
    files = tuple(f for f in local_debs(tmp_path) if "libc6" not in f)

    with pytest.raises(KubexmError, match="lack libc6"):
        await InstallLbPackages(("haproxy",), "apt", files).run(ctx)
