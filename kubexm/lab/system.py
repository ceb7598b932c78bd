"""Local command execution and machine checks for the lab (root, tools, mounts)."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from kubexm.errors import LabError

log = logging.getLogger(__name__)

# tool -> package that provides it on Debian (what scripts/lab-prereqs.sh installs)
REQUIRED_TOOLS: dict[str, str] = {
    "debootstrap": "debootstrap",
    "systemd-nspawn": "systemd-container",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
    "ip": "iproute2",
    "openssl": "openssl",
    "mount": "mount",
}


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run a local command and capture its output.

    With ``check`` a non-zero exit raises LabError with the last line of stderr; a missing
    executable or a run past ``timeout`` seconds raises LabError too. ``stdin`` is how secrets
    are passed: never in ``argv``.
    """
    log.debug("lab: running %s", " ".join(argv))
    full_env = {**os.environ, **env} if env else None
    try:
        done = subprocess.run(
            list(argv),
            input=stdin,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as error:
        raise LabError(f"{argv[0]} is not installed", "run scripts/lab-prereqs.sh") from error
    except subprocess.TimeoutExpired as error:
        raise LabError(f"{argv[0]} ran past {timeout:g}s", "check the machine's load") from error
    if check and done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        tail = f": {detail[-1]}" if detail else ""
        raise LabError(f"`{' '.join(argv[:4])}` failed (exit {done.returncode}){tail}")
    return done


def missing_tools(which: Mapping[str, str] = REQUIRED_TOOLS) -> list[str]:
    """Names of required tools that are not on PATH (or in the sbin directories)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    return [tool for tool in which if shutil.which(tool, path=search) is None]


def check_prerequisites(euid: int | None = None, missing: list[str] | None = None) -> None:
    """Raise LabError (with what to do) unless running as root with every tool present."""
    uid = os.geteuid() if euid is None else euid
    if uid != 0:
        raise LabError(
            "the lab needs root (network namespaces, mounts, systemd-nspawn)",
            "run it with sudo, as root",
        )
    absent = missing_tools() if missing is None else missing
    if absent:
        packages = sorted({REQUIRED_TOOLS.get(tool, tool) for tool in absent})
        raise LabError(
            f"missing lab prerequisites: {', '.join(absent)}",
            f"run scripts/lab-prereqs.sh (installs {' '.join(packages)})",
        )


def mounts(mountinfo: str | None = None) -> list[tuple[str, str]]:
    """(mount point, source) of every mount in this mount namespace (/proc/self/mountinfo)."""
    text = mountinfo
    if text is None:
        text = Path("/proc/self/mountinfo").read_text(encoding="utf-8")
    found = []
    for line in text.splitlines():
        head, _, tail = line.partition(" - ")
        fields, extra = head.split(), tail.split()
        if len(fields) > 4 and len(extra) > 1:
            found.append((_unescape(fields[4]), _unescape(extra[1])))
    return found


def _unescape(field: str) -> str:
    # mountinfo writes space, tab, newline and backslash as octal escapes such as \040
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mount_points(mountinfo: str | None = None) -> list[str]:
    return [point for point, _ in mounts(mountinfo)]


def is_mount_point(path: Path) -> bool:
    return str(path) in mount_points()


def unmount_below(root: Path) -> list[str]:
    """Unmount everything at or below ``root``, deepest first; returns what was unmounted.

    A busy mount is detached lazily so teardown never hangs; LabError when umount fails.
    """
    prefix = str(root).rstrip("/")
    found = [p for p in mount_points() if p == prefix or p.startswith(prefix + "/")]
    for point in sorted(found, key=len, reverse=True):
        if run(["umount", point], check=False).returncode != 0:
            run(["umount", "--lazy", point])
    return found


def remove_tree(path: Path) -> None:
    """Delete ``path`` recursively, after unmounting whatever is mounted below it.

    A failed debootstrap can leave /proc (or a bind of /dev) mounted in its target; deleting
    through such a mount would reach the machine's own files. LabError when a mount stays.
    """
    if not path.exists():
        return
    unmount_below(path)
    prefix = str(path).rstrip("/") + "/"
    if any(point.startswith(prefix) or point == str(path) for point in mount_points()):
        raise LabError(f"{path} still has mounts below it", f"unmount them: findmnt -R {path}")
    shutil.rmtree(path, ignore_errors=True)
