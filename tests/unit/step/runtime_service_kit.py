"""Fakes for the docker and CRI-O step tests: a host for the start steps (systemd units plus
the digest stamp written with a shell redirect the fake shell lacks) and a ``tar`` that
honours ``--strip-components``, and the golden-file check."""

from __future__ import annotations

import io
import os
import shlex
import tarfile
from pathlib import Path

from fakeconn import OK, FakeConnection, FakeSystemd, Unit

from kubexm.connector.base import Result
from kubexm.step.runtime.applied import stamp_path


def applied_host(
    units: tuple[str, ...], *, active: bool, stamp: str | None
) -> tuple[FakeConnection, FakeSystemd]:
    """``units`` (in)active and enabled accordingly, the service's stamp holding ``stamp``;
    enable/stop command chains run through the fake shell and then write the stamp."""
    fake = FakeConnection()
    fake.call(["mkdir", "-p", "/var/lib/kubexm"])
    state = "enabled" if active else "disabled"
    systemd = FakeSystemd({u: Unit(active, state) for u in units})
    systemd.install(fake)
    if stamp is not None:
        fake.write(stamp_path(units[-1]), stamp + "\n")

    def act(cmd: str, f: FakeConnection) -> Result:
        result = f._shell(cmd.split(" && mkdir", 1)[0])
        if result.ok:
            f.write(stamp_path(units[-1]), shlex.split(cmd.rsplit("&& ", 1)[1])[-3] + "\n")
        return result

    fake.script(r"^systemctl (enable|stop) ", act, regex=True)
    return fake, systemd


class StripExtractor:
    """``tar`` on the fake host honouring ``--strip-components``: unpacks the staged
    archive's wanted members into ``-C`` (minus the stripped leading folders) and writes the
    marker the command names; ``runs`` counts extractions."""

    def __init__(self, fake: FakeConnection) -> None:
        self.runs = 0
        fake.script(r"&& tar ", self.extract, regex=True)

    def extract(self, cmd: str, fake: FakeConnection) -> Result:
        self.runs += 1
        argv = shlex.split(cmd.split("&& ", 1)[1].split(" && ", 1)[0])
        archive, dest = argv[2], argv[argv.index("-C") + 1]
        strip = next((int(a.split("=")[1]) for a in argv if a.startswith("--strip")), 0)
        wanted = [a for a in argv[argv.index("--no-same-owner") + 1 :] if not a.startswith("-")]
        with tarfile.open(fileobj=io.BytesIO(fake.files[archive].data)) as tar:
            for member in tar.getmembers():
                if wanted and member.name not in wanted:
                    continue
                data = tar.extractfile(member)
                assert data is not None
                target = f"{dest}/{member.name.split('/', strip)[-1]}"
                fake.call(["mkdir", "-p", target.rsplit("/", 1)[0]])
                fake.write(target, data.read(), mode=0o755)
        words = shlex.split(cmd.rsplit("&& ", 1)[1])
        fake.call(["mkdir", "-p", "/var/lib/kubexm/extracted"])
        fake.write(words[-1], words[-3] + "\n")  # printf '%s\n' <stamp> > <marker>
        return OK


GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "runtime"


def golden(name: str, text: str) -> None:
    """Compare with tests/golden/runtime/<name>; KUBEXM_UPDATE_GOLDEN=1 rewrites on purpose."""
    path = GOLDEN / name
    if os.environ.get("KUBEXM_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text(), f"{name} differs from its golden file"
