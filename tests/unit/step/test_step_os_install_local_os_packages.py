"""InstallLocalOsPackages: upload, then dpkg -i only the closure of missing packages."""

from __future__ import annotations

import shlex
from pathlib import Path

from fakeconn import OK, FakeConnection
from stepctx import Ctx

from kubexm.connector.base import Result
from kubexm.step.os.install_local_os_packages import REMOTE_DIR, InstallLocalOsPackages

CONTROL = {
    "socat_1.7_amd64.deb": "Package: socat\nDepends: libc6, libwrap0\n",
    "libwrap0_7.6_amd64.deb": "Package: libwrap0\n",
    "haproxy_2.6_amd64.deb": "Package: haproxy\n",
}


class Dpkg:
    """Installed packages of the fake host; ``dpkg -i`` installs the files it is given."""

    def __init__(self, fake: FakeConnection) -> None:
        self.installed = {"libc6"}
        self.installs: list[list[str]] = []
        fake.script("for f in *.deb", self.index)
        fake.script("${Package}\\t", self.all_installed)
        fake.script("dpkg-query -W", self.query)
        fake.on("env", lambda argv, f: f.call([a for a in argv[1:] if "=" not in a]))
        fake.on("dpkg", self.dpkg)

    def index(self, cmd: str, fake: FakeConnection) -> Result:
        names = [p.rsplit("/", 1)[-1] for p in fake.files if p.startswith(REMOTE_DIR)]
        return Result(0, "".join(f"@@{n}\n{CONTROL[n]}" for n in sorted(names)), "")

    def all_installed(self, cmd: str, fake: FakeConnection) -> Result:
        return Result(0, "".join(f"{n}\tinstalled\t\n" for n in sorted(self.installed)), "")

    def query(self, cmd: str, fake: FakeConnection) -> Result:
        names = shlex.split(cmd)[3:]
        out = "".join(f"{n} installed 1\n" for n in names if n in self.installed)
        return Result(0, out, "")

    def dpkg(self, argv: list[str], fake: FakeConnection) -> Result:
        files = [a.rsplit("/", 1)[-1] for a in argv if a.endswith(".deb")]
        self.installs.append(files)
        self.installed.update(CONTROL[f].split()[1] for f in files)
        return OK


async def test_install_local_os_packages_installs_only_the_needed_files_then_nothing(
    tmp_path: Path,
) -> None:
    files = []
    for name, control in CONTROL.items():
        (tmp_path / name).write_text(control)
        files.append(tmp_path / name)
    fake = FakeConnection()
    dpkg = Dpkg(fake)
    step = InstallLocalOsPackages(("socat",), tuple(sorted(files)))
    ctx = Ctx(fake)

    assert await step.check(ctx) is False
    assert fake.puts == [], "check must not upload"
    await step.run(ctx)
    assert await step.check(ctx) is True
    assert dpkg.installs == [["socat_1.7_amd64.deb", "libwrap0_7.6_amd64.deb"]]
    assert "haproxy" not in dpkg.installed
    assert len(fake.puts) == 3
    assert "3 files" in step.describe()
