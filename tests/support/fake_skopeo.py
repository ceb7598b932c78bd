"""A stand-in ``skopeo`` on PATH for the image-push tests that need no real registry.

It understands the two commands kubexm sends: ``inspect --raw docker://T`` prints the manifest
stored for ``T`` (or fails with "manifest unknown"), and ``copy ... oci-archive:A docker://T``
stores ``A``'s top manifest for ``T`` byte for byte, as a registry would. Each call is
recorded with its argv, timing and the auth file it was given (content and mode at that
moment). Environment knobs: ``FAKE_SKOPEO_DELAY`` (seconds a copy takes),
``FAKE_SKOPEO_COPY_ERROR`` / ``FAKE_SKOPEO_INSPECT_ERROR`` (fail with this message; with
``FAKE_SKOPEO_ONLY`` only for targets containing it).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

_SCRIPT = r"""
import base64, fcntl, json, os, stat, sys, tarfile, time

state = os.environ["FAKE_SKOPEO_DIR"]
args = sys.argv[1:]
started = time.time()


def authfile():
    for flag in ("--authfile", "--dest-authfile"):
        if flag in args:
            path = args[args.index(flag) + 1]
            return open(path).read(), stat.S_IMODE(os.stat(path).st_mode)
    return None, None


def record(**extra):
    content, mode = authfile()
    line = dict(argv=args, authfile=content, mode=mode, start=started, end=time.time(), **extra)
    fd = os.open(os.path.join(state, "calls.jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.write(fd, (json.dumps(line) + "\n").encode())
    os.close(fd)


def fail(knob, target):
    message = os.environ.get(knob)
    only = os.environ.get("FAKE_SKOPEO_ONLY", "")
    if message and only in target:
        record(failed=True)
        sys.stderr.write(f'time="now" level=fatal msg="{message}"\n')
        sys.exit(1)


def store(update=None):
    with open(os.path.join(state, "registry.json"), "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        data = json.loads(handle.read() or "{}")
        if update:
            data.update(update)
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(data))
        return data


target = args[-1].removeprefix("docker://")
if args[0] == "inspect":
    fail("FAKE_SKOPEO_INSPECT_ERROR", target)
    data = store()
    if target not in data:
        record(failed=True)
        sys.stderr.write(f'time="now" level=fatal msg="reading manifest in {target}: '
                         'manifest unknown: manifest unknown"\n')
        sys.exit(1)
    record()
    sys.stdout.buffer.write(base64.b64decode(data[target]))
elif args[0] == "copy":
    time.sleep(float(os.environ.get("FAKE_SKOPEO_DELAY", "0")))
    fail("FAKE_SKOPEO_COPY_ERROR", target)
    with tarfile.open(args[-2].removeprefix("oci-archive:")) as archive:
        top = json.load(archive.extractfile("index.json"))["manifests"][0]["digest"]
        raw = archive.extractfile("blobs/sha256/" + top.split(":")[1]).read()
    store({target: base64.b64encode(raw).decode()})
    record()
else:
    sys.exit(f"fake skopeo: unexpected {args}")
"""


@dataclass
class FakeSkopeo:
    """The installed fake: its state folder and what it was asked."""

    state: Path

    def calls(self, command: str | None = None) -> list[dict[str, Any]]:
        path = self.state / "calls.jsonl"
        if not path.exists():
            return []
        found = [json.loads(line) for line in path.read_text().splitlines()]
        return [call for call in found if command is None or call["argv"][0] == command]

    def stored(self) -> dict[str, str]:
        path = self.state / "registry.json"
        return json.loads(path.read_text() or "{}") if path.exists() else {}

    def max_parallel_copies(self) -> int:
        spans = [(call["start"], call["end"]) for call in self.calls("copy")]
        return max((sum(s <= start < e for s, e in spans) for start, _ in spans), default=0)


def install(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSkopeo:
    """Put the fake first on PATH for this test."""
    bin_dir, state = tmp / "fake-bin", tmp / "fake-state"
    bin_dir.mkdir()
    state.mkdir()
    script = bin_dir / "skopeo"
    script.write_text(f"#!{sys.executable}\n{_SCRIPT}")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    monkeypatch.setenv("FAKE_SKOPEO_DIR", str(state))
    return FakeSkopeo(state)
