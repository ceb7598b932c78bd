"""Gathering OS package files: a fake apt on PATH, and the real apt of this machine."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kubexm.errors import ArtifactError
from kubexm.resource.model import OSPackageSet
from kubexm.resource.os_gather import (
    Release,
    apt_closure,
    closure_argv,
    describe,
    gather_os_packages,
    gather_set,
    manual_command,
    parse_closure,
    parse_os_release,
    this_release,
)

DEPENDS = """\
socat
  Depends: libc6
 |Depends: <libssl-virtual>
  Depends: libssl3
libc6
  Depends: libgcc-s1
<libssl-virtual>
libssl3
  Depends: libc6
libgcc-s1
libc6:i386
"""
CLOSURE = ["libc6", "libgcc-s1", "libssl3", "socat"]
BOOKWORM = Release("debian", "12", "amd64")
SOCAT = OSPackageSet("debian", "12", "amd64", ("socat",))


@pytest.fixture
def fake_apt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """apt-cache, apt-get and dpkg stand-ins first on PATH; returns the call log."""
    bin_dir, log = tmp_path / "bin", tmp_path / "apt.log"
    bin_dir.mkdir()
    (tmp_path / "depends.txt").write_text(DEPENDS, encoding="utf-8")
    scripts = {
        "apt-cache": f'echo "apt-cache $*" >> {log}\n'
        f'case " $* " in *" nosuch "*) echo "E: No packages found" >&2; exit 100;; esac\n'
        f"cat {tmp_path / 'depends.txt'}\n",
        "apt-get": f'echo "apt-get $*" >> {log}\nshift\n'
        'for p in "$@"; do echo "deb of $p" > "${p}_1.0-1_amd64.deb"; done\n',
        "dpkg": "echo amd64\n",
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}", encoding="utf-8")
        path.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return log


def test_parse_closure_keeps_real_packages_of_this_arch() -> None:
    assert parse_closure(DEPENDS) == CLOSURE


def test_closure_argv_follows_only_what_dpkg_needs() -> None:
    argv = closure_argv(["socat"])
    assert argv[:3] == ["apt-cache", "depends", "--recurse"]
    assert "--no-recommends" in argv and "--no-enhances" in argv and argv[-1] == "socat"


def test_matching_machine_gathers_the_closure_once(fake_apt: Path, tmp_path: Path) -> None:
    os_dir = tmp_path / "os"
    result = gather_set(SOCAT, os_dir, BOOKWORM)
    assert result.status == "gathered"
    assert result.folder == os_dir / "debian-12" / "amd64"
    assert list(result.fetched) == CLOSURE
    assert sorted(p.name for p in result.folder.iterdir()) == [
        f"{name}_1.0-1_amd64.deb" for name in CLOSURE
    ]
    again = gather_set(SOCAT, os_dir, BOOKWORM)
    assert (again.status, again.fetched) == ("gathered", ())
    calls = fake_apt.read_text(encoding="utf-8").splitlines()
    assert [c.split()[0] for c in calls] == ["apt-cache", "apt-get", "apt-cache"]
    assert calls[1] == "apt-get download " + " ".join(CLOSURE)
    assert "0 fetched with apt-get" in describe(again)


def test_other_release_is_listed_with_the_command_for_a_matching_machine(
    fake_apt: Path, tmp_path: Path
) -> None:
    trixie = OSPackageSet("debian", "13", "amd64", ("socat", "tar"))
    result = gather_set(trixie, tmp_path / "os", BOOKWORM)
    assert (result.status, result.missing) == ("missing", ("socat", "tar"))
    folder = tmp_path / "os" / "debian-13" / "amd64"
    assert result.command.startswith("run on a debian 13 amd64 machine: mkdir -p ")
    assert f"cd {folder} && apt-get download $(apt-cache depends --recurse" in result.command
    assert "socat tar | grep -v '^[ <]')" in result.command
    assert not fake_apt.exists()  # apt was never asked about another release
    assert "missing socat, tar" in describe(result)


def test_placed_files_of_another_release_are_complete(fake_apt: Path, tmp_path: Path) -> None:
    folder = tmp_path / "os" / "ubuntu-24.04" / "arm64"
    folder.mkdir(parents=True)
    (folder / "socat_1.8_arm64.deb").write_text("x")
    result = gather_set(
        OSPackageSet("ubuntu", "24.04", "arm64", ("socat",)), folder.parents[1], BOOKWORM
    )
    assert result.status == "complete"
    assert "complete in" in describe(result)


def test_rpm_sets_get_the_dnf_download_command(tmp_path: Path) -> None:
    rocky = OSPackageSet("rocky", "9", "amd64", ("conntrack-tools", "socat"))
    result = gather_set(rocky, tmp_path, BOOKWORM)
    assert result.status == "missing"
    assert result.command.startswith("run on a rocky 9 x86_64 machine: dnf download ")
    assert (
        f"dnf download --resolve --alldeps --destdir {tmp_path / 'rocky-9' / 'amd64'} "
        "conntrack-tools socat" in result.command
    )


def test_versionless_sets_are_never_gathered(fake_apt: Path, tmp_path: Path) -> None:
    family = OSPackageSet("debian", "", "amd64", ("socat",))
    result = gather_set(family, tmp_path, BOOKWORM)
    assert result.status == "missing"
    assert "debian-family amd64 machine of the hosts' release" in result.command


def test_apt_failure_is_an_artifact_error(fake_apt: Path, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"exit 100.*No packages found"):
        gather_set(OSPackageSet("debian", "12", "amd64", ("nosuch",)), tmp_path, BOOKWORM)


def test_missing_apt_is_an_artifact_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ArtifactError, match="apt-cache is not installed"):
        apt_closure(["socat"])


def test_this_release_reads_os_release_and_dpkg(fake_apt: Path, tmp_path: Path) -> None:
    release = tmp_path / "os-release"
    release.write_text('NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n', encoding="utf-8")
    assert this_release(release) == BOOKWORM
    release.write_text("ID=rocky\nVERSION_ID=9.4\n", encoding="utf-8")
    assert this_release(release) is None
    assert this_release(tmp_path / "absent") is None


def test_gather_os_packages_handles_every_set(fake_apt: Path, tmp_path: Path) -> None:
    sets = [SOCAT, OSPackageSet("rhel", "", "amd64", ("socat",))]
    results = gather_os_packages(sets, tmp_path / "os", release=BOOKWORM)
    assert [r.status for r in results] == ["gathered", "missing"]
    assert gather_os_packages([], tmp_path / "os") == []


def test_parse_os_release_strips_quotes_and_comments() -> None:
    text = "# comment\nID='ubuntu'\nVERSION_ID=\"24.04\"\n\nbroken line\n"
    assert parse_os_release(text) == {"ID": "ubuntu", "VERSION_ID": "24.04"}


def test_manual_command_quotes_the_folder() -> None:
    command = manual_command(SOCAT, Path("/tmp/my dir"))
    assert command.startswith("mkdir -p '/tmp/my dir' && cd '/tmp/my dir' && ")


def _apt_reaches_the_mirror(dest: Path) -> bool:
    if shutil.which("apt-get") is None:
        return False
    try:
        done = subprocess.run(
            ["apt-get", "download", "netbase"], cwd=dest, capture_output=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def test_real_apt_gathers_a_tiny_set_on_this_machine(tmp_path: Path) -> None:
    """This machine's own apt: netbase (no dependencies) fetched, ipset's closure resolved."""
    here = this_release()
    probe = tmp_path / "probe"
    probe.mkdir()
    if here is None or not _apt_reaches_the_mirror(probe):
        pytest.skip("no Debian-family apt here that reaches its mirror")
    closure = apt_closure(["ipset"])
    assert "ipset" in closure and "libc6" in closure
    assert not any(name.startswith("<") or ":" in name for name in closure)
    package_set = OSPackageSet(here.os_id, here.os_version, here.arch, ("netbase",))
    result = gather_set(package_set, tmp_path / "os", here)
    assert result.status == "gathered" and result.fetched == ("netbase",)
    (deb,) = result.folder.glob("netbase_*.deb")
    info = subprocess.run(["dpkg-deb", "-f", str(deb), "Package"], capture_output=True, text=True)
    assert info.stdout.strip() == "netbase"
    assert gather_set(package_set, tmp_path / "os", here).fetched == ()
