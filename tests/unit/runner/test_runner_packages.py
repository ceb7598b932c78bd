from __future__ import annotations

import shlex

import pytest
from fakeconn import OK, FakeConnection, assert_idempotent

from kubexm.connector.base import Result
from kubexm.errors import CommandError, KubexmError
from kubexm.runner.host import Host
from kubexm.runner.packages import (
    MANAGERS,
    PackageManager,
    ensure_local_packages,
    ensure_packages,
    get_installed_packages,
    package_manager,
    parse_installed,
)


class PackageFake:
    """apt/dnf/yum on the fake host: a set of installed package names."""

    def __init__(self, fake: FakeConnection, installed: dict[str, str]) -> None:
        self.installed = dict(installed)
        self.refreshes = 0
        fake.script("dpkg-query -W", self.query)
        fake.script("rpm -q --qf", self.query)
        fake.on("env", self.env)
        for tool in ("apt-get", "dnf", "yum", "rpm", "dpkg"):
            fake.on(tool, self.tool)

    def query(self, cmd: str, fake: FakeConnection) -> Result:
        argv = shlex.split(cmd)
        names = argv[next(i for i, a in enumerate(argv) if "{" in a) + 1 :]
        out = "".join(f"{n} installed {self.installed[n]}\n" for n in names if n in self.installed)
        missing = [n for n in names if n not in self.installed]
        err = "".join(f"dpkg-query: no packages found matching {n}\n" for n in missing)
        return Result(1 if missing else 0, out, err)

    def env(self, argv: list[str], fake: FakeConnection) -> Result:
        return fake.call([a for a in argv[1:] if "=" not in a])

    def tool(self, argv: list[str], fake: FakeConnection) -> Result:
        if argv[1] in ("update", "makecache"):
            self.refreshes += 1
            return OK
        for arg in argv[2:]:
            if arg.startswith("-"):
                continue
            name = arg.rsplit("/", 1)[-1].split("_")[0].split("-1.")[0]
            if name == "unknown-pkg":
                return Result(100, "", "E: Unable to locate package unknown-pkg\n")
            self.installed[name] = "1.0"
        return OK


def test_parse_installed_skips_missing_and_removed() -> None:
    out = "socat installed 1.7.4\nipset config-files 7.1\npackage foo is not installed\n"
    assert parse_installed(out) == {"socat": "1.7.4"}


def test_package_manager_returns_the_command_table() -> None:
    pm = package_manager("dnf")
    assert isinstance(pm, PackageManager)
    assert pm.install.startswith("dnf install -y")


def test_package_manager_rejects_unknown() -> None:
    with pytest.raises(KubexmError, match="zypper"):
        package_manager("zypper")


@pytest.mark.parametrize("manager", sorted(MANAGERS), ids=sorted(MANAGERS))
async def test_get_installed_packages_in_one_command(
    host: Host, fake: FakeConnection, manager: str
) -> None:
    PackageFake(fake, {"socat": "1.7.4"})
    assert await get_installed_packages(host, ["socat", "ipset"], manager=manager) == {
        "socat": "1.7.4"
    }
    assert len(fake.ran) == 1


@pytest.mark.parametrize("manager", sorted(MANAGERS), ids=sorted(MANAGERS))
async def test_ensure_packages_installs_missing_then_unchanged(
    fake: FakeConnection, manager: str
) -> None:
    pkgs = PackageFake(fake, {"socat": "1.7.4"})
    lines = await assert_idempotent(
        fake,
        lambda h: ensure_packages(h, ["socat", "conntrack", "ipset"], manager=manager),
        state=lambda: sorted(pkgs.installed),
    )
    assert lines == ["[node1] would install packages conntrack, ipset"]
    assert {"conntrack", "ipset"} <= set(pkgs.installed)
    assert pkgs.refreshes == 1
    install = next(c for c in fake.ran if " install " in c)
    assert "socat" not in install


async def test_ensure_packages_apt_is_non_interactive(host: Host, fake: FakeConnection) -> None:
    PackageFake(fake, {})
    await ensure_packages(host, ["socat"], manager="apt", refresh=False)
    install = fake.ran[-1]
    assert install.startswith("env DEBIAN_FRONTEND=noninteractive apt-get install -y")
    assert "apt-get update" not in install


async def test_ensure_packages_failure_raises(host: Host, fake: FakeConnection) -> None:
    PackageFake(fake, {})
    with pytest.raises(CommandError, match="Unable to locate"):
        await ensure_packages(host, ["unknown-pkg"], manager="apt")


@pytest.mark.parametrize(
    ("manager", "files", "prefix"),
    [
        ("apt", ["/tmp/p/socat_1.7.4_amd64.deb"], "env DEBIAN_FRONTEND=noninteractive dpkg -i"),
        ("dnf", ["/tmp/p/socat-1.7.4-1.el9.x86_64.rpm"], "rpm -Uvh"),
    ],
    ids=["deb", "rpm"],
)
async def test_ensure_local_packages_installs_files_once(
    fake: FakeConnection, manager: str, files: list[str], prefix: str
) -> None:
    pkgs = PackageFake(fake, {})
    await assert_idempotent(
        fake,
        lambda h: ensure_local_packages(h, files, ["socat"], manager=manager),
        state=lambda: sorted(pkgs.installed),
    )
    assert any(c.startswith(prefix) and files[0] in c for c in fake.ran)
    assert pkgs.refreshes == 0
