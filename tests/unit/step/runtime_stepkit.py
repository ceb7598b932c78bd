"""Shared fakes for the runtime step tests: a step context, tarball extraction and the
redirecting commands the steps send (the fake shell has no ``>``)."""

from __future__ import annotations

import io
import logging
import shlex
import tarfile
from dataclasses import dataclass
from pathlib import Path

from fakeconn import OK, FakeConnection

from kubexm.cache import Scope, ScopedCache
from kubexm.connector.base import Result


@dataclass
class Ctx:
    """A StepContext over a fake connection."""

    conn: FakeConnection
    host: str = "n1"
    dry_run: bool = False

    @property
    def facts(self) -> dict[str, object]:
        return {}

    @property
    def cache(self) -> ScopedCache:
        return ScopedCache(Scope.STEP)

    @property
    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        return logging.LoggerAdapter(logging.getLogger("test"), {})


def tarball(path: Path, files: dict[str, bytes]) -> Path:
    """Write a .tar.gz with ``files`` (member name -> bytes) at ``path``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buf.getvalue())
    return path


class Extractor:
    """``tar`` on the fake host: unpacks the staged archive's real members into ``-C`` and
    writes the marker the command names; ``runs`` counts extractions."""

    def __init__(self, fake: FakeConnection) -> None:
        self.runs = 0
        fake.script(r"&& tar ", self.extract, regex=True)

    def extract(self, cmd: str, fake: FakeConnection) -> Result:
        self.runs += 1
        argv = shlex.split(cmd.split("&& ", 1)[1].split(" && ", 1)[0])
        archive, dest = argv[2], argv[argv.index("-C") + 1]
        wanted = [a for a in argv[argv.index("--no-same-owner") + 1 :] if not a.startswith("-")]
        fake.call(["mkdir", "-p", dest])
        with tarfile.open(fileobj=io.BytesIO(fake.files[archive].data)) as tar:
            for member in tar.getmembers():
                name = member.name
                if wanted and name not in wanted:
                    continue
                data = tar.extractfile(member)
                assert data is not None
                target = f"{dest}/{name.removeprefix('./')}"
                fake.call(["mkdir", "-p", target.rsplit("/", 1)[0]])
                fake.write(target, data.read(), mode=0o755)
        words = shlex.split(cmd.rsplit("&& ", 1)[1])
        fake.call(["mkdir", "-p", "/var/lib/kubexm/extracted"])
        fake.write(words[-1], words[-3] + "\n")  # printf '%s\n' <stamp> > <marker>
        return OK


def staging_ready(fake: FakeConnection) -> FakeConnection:
    """The folders a real host has that the fake does not seed."""
    for folder in ("/var/lib/kubexm", "/usr/local/sbin"):
        fake.call(["mkdir", "-p", folder])
    return fake
