"""OS package files for offline hosts, gathered with the package manager of this machine.

A package set (``OSPackageSet``: OS id, version, arch, names) can only be gathered on a
machine of that very release and arch, from the repositories that machine is configured
with, since versions and dependencies differ between releases. On a Debian-family machine
matching a set (``/etc/os-release`` ``ID``/``VERSION_ID`` and ``dpkg --print-architecture``)
``gather_os_packages`` resolves the names' dependency closure with ``apt-cache depends`` and
fetches every package of it that is not yet in the set's folder with ``apt-get download``,
into ``<os dir>/<os>-<version>/<arch>/``. Any other set is taken as found in its folder; when
it is incomplete the result carries the exact command to run on a matching machine (``apt``
or ``dnf download``). Nothing is fetched from anywhere but the OS's configured repositories.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kubexm.errors import ArtifactError
from kubexm.util.shell import quote

from .bundle import package_file_matches
from .bundle_manifest import os_dir_member, os_label
from .model import OSPackageSet
from .packages import family_of

OS_RELEASE = Path("/etc/os-release")
# Relations apt-cache must not follow: only what dpkg needs to install a package.
_NOT_FOLLOWED = ("recommends", "suggests", "conflicts", "breaks", "replaces", "enhances")
_RPM_ARCH = {"amd64": "x86_64", "arm64": "aarch64"}
GatherStatus = Literal["gathered", "complete", "missing"]


@dataclass(frozen=True)
class Release:
    """An OS release and architecture as ``OSPackageSet`` names them (``debian``, ``12``,
    ``amd64``)."""

    os_id: str
    os_version: str
    arch: str

    def serves(self, package_set: OSPackageSet) -> bool:
        """Whether packages gathered here are right for ``package_set`` (same release)."""
        wanted = (package_set.os_id, package_set.os_version, package_set.arch)
        return bool(package_set.os_version) and wanted == (self.os_id, self.os_version, self.arch)


@dataclass(frozen=True)
class GatherResult:
    """What one package set's folder holds after gathering.

    ``gathered``: this machine fetched ``fetched`` files (possibly none: all were there);
    ``complete``: another release whose folder already holds every package; ``missing``:
    another release lacking ``missing``, and ``command`` fills the folder on a matching one.
    """

    package_set: OSPackageSet
    folder: Path
    status: GatherStatus
    fetched: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    command: str = ""


def _run(argv: Sequence[str], *, timeout: float, cwd: Path | None = None) -> str:
    """Run a package tool on this machine; ``ArtifactError`` with its last words on failure."""
    if shutil.which(argv[0]) is None:
        raise ArtifactError(
            f"{argv[0]} is not installed on this machine",
            "gather the OS packages on a machine of the hosts' release (see the command)",
        )
    try:
        done = subprocess.run(
            list(argv), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ArtifactError(
            f"{argv[0]} {argv[1]} did not finish within {timeout:.0f}s",
            "check that the OS package mirror is reachable (apt-get update)",
        ) from exc
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise ArtifactError(
            f"{argv[0]} {argv[1]} failed (exit {done.returncode}): {tail}",
            "check the package names and that the OS package mirror is reachable",
        )
    return done.stdout


def parse_os_release(text: str) -> dict[str, str]:
    """``KEY=value`` lines of ``/etc/os-release``, quotes removed."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            fields[key] = value.strip().strip("\"'")
    return fields


def this_release(os_release: Path = OS_RELEASE, *, timeout: float = 30.0) -> Release | None:
    """This machine's release when it is Debian-family with dpkg, else None (then nothing
    can be gathered here)."""
    try:
        fields = parse_os_release(os_release.read_text(encoding="utf-8"))
    except OSError:
        return None
    os_id = fields.get("ID", "")
    try:
        if family_of(os_id) != "debian" or shutil.which("dpkg") is None:
            return None
    except ArtifactError:
        return None
    arch = _run(["dpkg", "--print-architecture"], timeout=timeout).strip()
    return Release(os_id, fields.get("VERSION_ID", ""), arch)


def closure_argv(packages: Iterable[str]) -> list[str]:
    """``apt-cache depends --recurse`` with only the relations dpkg needs."""
    return ["apt-cache", "depends", "--recurse", *(f"--no-{r}" for r in _NOT_FOLLOWED), *packages]


def parse_closure(stdout: str) -> list[str]:
    """Real package names of ``apt-cache depends --recurse`` output, sorted.

    Package lines start in column 0; relation lines are indented; virtual packages are
    shown as ``<name>`` and have no file; names of another architecture (``libc6:i386``)
    are left out.
    """
    names = {line.strip() for line in stdout.splitlines() if line[:1] not in ("", " ", "<")}
    return sorted(name for name in names if ":" not in name)


def apt_closure(packages: Sequence[str], *, timeout: float = 300.0) -> list[str]:
    """``packages`` and every real package they depend on, as this machine's apt resolves
    them; ``ArtifactError`` when apt knows a name not (or apt-cache is missing)."""
    return parse_closure(_run(closure_argv(packages), timeout=timeout))


def apt_download(names: Sequence[str], dest: Path, *, timeout: float = 1800.0) -> list[str]:
    """``apt-get download`` into ``dest`` every one of ``names`` without a file there yet;
    returns the names fetched. ``ArtifactError`` when apt fails."""
    dest.mkdir(parents=True, exist_ok=True)
    present = [p.name for p in dest.glob("*.deb")]
    absent = [n for n in names if not any(package_file_matches(f, n) for f in present)]
    if absent:
        _run(["apt-get", "download", *absent], timeout=timeout, cwd=dest)
    return absent


def manual_command(package_set: OSPackageSet, folder: Path) -> str:
    """The shell command that fills ``folder`` for ``package_set`` on a machine of that
    release (apt for Debian-family sets, ``dnf download`` for RHEL-family ones)."""
    names = " ".join(quote(name) for name in package_set.packages)
    if family_of(package_set.os_id) == "rhel":
        return f"dnf download --resolve --alldeps --destdir {quote(str(folder))} {names}"
    closure = " ".join(closure_argv(package_set.packages))
    where = quote(str(folder))
    return f"mkdir -p {where} && cd {where} && apt-get download $({closure} | grep -v '^[ <]')"


def _where(package_set: OSPackageSet) -> str:
    """``a debian 12 amd64 machine`` (rpm arch names for RHEL-family sets)."""
    arch = package_set.arch
    if family_of(package_set.os_id) == "rhel":
        arch = _RPM_ARCH.get(arch, arch)
    if not package_set.os_version:
        return f"a {package_set.os_id}-family {arch} machine of the hosts' release"
    return f"a {package_set.os_id} {package_set.os_version} {arch} machine"


def missing_packages(package_set: OSPackageSet, folder: Path) -> list[str]:
    """Names of ``package_set`` without a package file in ``folder``."""
    files = [p.name for p in folder.glob("*")] if folder.is_dir() else []
    return [n for n in package_set.packages if not any(package_file_matches(f, n) for f in files)]


def gather_set(
    package_set: OSPackageSet, os_dir: Path, release: Release | None, *, timeout: float = 1800.0
) -> GatherResult:
    """Fill one set's folder under ``os_dir`` when ``release`` serves it, else report on it.

    Raises ``ArtifactError`` when apt fails on a matching machine.
    """
    member = os_dir_member(package_set.os_id, package_set.os_version, package_set.arch)
    folder = os_dir / Path(member).relative_to("os")
    if release is not None and release.serves(package_set):
        closure = apt_closure(package_set.packages)
        fetched = apt_download(closure, folder, timeout=timeout)
        return GatherResult(package_set, folder, "gathered", fetched=tuple(fetched))
    missing = missing_packages(package_set, folder)
    if not missing:
        return GatherResult(package_set, folder, "complete")
    command = (
        f"run on {_where(package_set)}: {manual_command(package_set, folder)} "
        f"and copy the files to {folder} here"
    )
    return GatherResult(package_set, folder, "missing", missing=tuple(missing), command=command)


def gather_os_packages(
    sets: Iterable[OSPackageSet], os_dir: Path, *, release: Release | None = None
) -> list[GatherResult]:
    """``gather_set`` for every set; ``release`` defaults to this machine's (``this_release``).

    Raises ``ArtifactError`` when apt fails for a set this machine serves.
    """
    wanted = list(sets)
    here = release if release is not None else (this_release() if wanted else None)
    return [gather_set(package_set, os_dir, here) for package_set in wanted]


def describe(result: GatherResult) -> str:
    """One line for the user about a set's folder."""
    label = f"{os_label(result.package_set.os_id, result.package_set.os_version)}/"
    label += result.package_set.arch
    if result.status == "gathered":
        return (
            f"os-packages {label}: {len(result.fetched)} fetched with apt-get into {result.folder}"
        )
    if result.status == "complete":
        return f"os-packages {label}: complete in {result.folder}"
    return f"os-packages {label}: missing {', '.join(result.missing)}; {result.command}"
