"""InstallOsPackages: missing packages installed from the repositories, once."""

from __future__ import annotations

from fakeconn import OK, FakeConnection
from stepctx import Ctx, converge

from kubexm.connector.base import Result
from kubexm.step.os.install_os_packages import InstallOsPackages


async def test_install_os_packages_installs_missing_then_changes_nothing() -> None:
    fake = FakeConnection()
    installed = {"curl"}

    def query(cmd: str, f: FakeConnection) -> Result:
        names = cmd.split("\\n'", 1)[1].split()
        return Result(0, "".join(f"{n} installed 1.0\n" for n in names if n in installed), "")

    def apt(argv: list[str], f: FakeConnection) -> Result:
        installed.update(a for a in argv[2:] if not a.startswith("-"))
        return OK

    fake.script("dpkg-query -W", query)
    fake.on("env", lambda argv, f: f.call([a for a in argv[1:] if "=" not in a]))
    fake.on("apt-get", apt)
    step = InstallOsPackages(("curl", "socat"), "apt")

    await converge(step, Ctx(fake))
    assert installed == {"curl", "socat"}
    assert "curl, socat" in step.describe()
