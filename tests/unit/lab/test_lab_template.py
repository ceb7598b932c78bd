"""The template recipe: packages, fingerprint, caching, customisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubexm.errors import LabError
from kubexm.lab import template
from kubexm.lab.layout import Paths


def fake_debootstrap(calls: list[list[str]]) -> object:
    """Stands in for `run`: debootstrap makes a tiny tree, chroot useradd is recorded."""

    def run(argv: list[str], **_: object) -> None:
        calls.append(list(argv))
        if argv[0] == "debootstrap":
            root = Path(argv[-2])
            for rel in (
                "lib/systemd/systemd",
                "etc/ssh/ssh_host_rsa_key",
                "var/lib/dbus/machine-id",
            ):
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_text("x")
            (root / "var/lib/apt/lists").mkdir(parents=True)
            (root / "var/lib/apt/lists/deb.debian.org_Packages").write_text("big")

    return run


@pytest.mark.parametrize("unwanted", ["etcd", "haproxy", "keepalived", "nginx", "containerd"])
def test_template_leaves_components_to_kubexm(unwanted: str) -> None:
    assert not any(unwanted in pkg for pkg in template.PACKAGES)


def test_template_has_what_a_managed_host_needs() -> None:
    for pkg in ("systemd", "openssh-server", "sudo", "python3", "iptables", "dbus"):
        assert pkg in template.PACKAGES


def test_debootstrap_argv_builds_a_minbase_of_the_os() -> None:
    argv = template.debootstrap_argv("trixie", Path("/t/rootfs"))

    assert argv[:2] == ["debootstrap", "--variant=minbase"]
    assert argv[2].startswith("--include=systemd,")
    assert argv[3:] == ["trixie", "/t/rootfs", template.MIRROR]


def test_fingerprint_is_stable_and_differs_per_os() -> None:
    assert template.recipe_fingerprint("bookworm") == template.recipe_fingerprint("bookworm")
    assert template.recipe_fingerprint("bookworm") != template.recipe_fingerprint("trixie")


def test_fingerprint_changes_with_the_package_list(monkeypatch: pytest.MonkeyPatch) -> None:
    before = template.recipe_fingerprint("bookworm")
    monkeypatch.setattr(template, "PACKAGES", (*template.PACKAGES, "socat"))

    assert template.recipe_fingerprint("bookworm") != before


def test_ensure_template_builds_customises_and_then_reuses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    paths = Paths(tmp_path)
    calls: list[list[str]] = []
    monkeypatch.setattr(template, "run", fake_debootstrap(calls))

    first = template.ensure_template(paths, "bookworm")
    second = template.ensure_template(paths, "bookworm")

    root = paths.template_rootfs("bookworm")
    assert first.rootfs == second.rootfs == root
    assert second.build_seconds == 0.0
    assert [c[0] for c in calls] == ["debootstrap", "chroot"]
    assert calls[1][-1] == "kxadmin"
    assert template.template_is_current(paths, "bookworm")
    assert not list((root / "etc/ssh").glob("ssh_host_*"))
    assert not (root / "var/lib/dbus/machine-id").exists()
    assert (root / "etc/machine-id").read_text() == ""
    assert not any((root / "var/lib/apt/lists").iterdir())
    assert (root / "etc/systemd/system/systemd-timesyncd.service").readlink() == Path("/dev/null")
    dropin = root / "etc/systemd/system/ssh.service.d/kubexm-lab.conf"
    assert "ssh-keygen -A" in dropin.read_text()


def test_changed_recipe_triggers_a_rebuild(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    calls: list[list[str]] = []
    monkeypatch.setattr(template, "run", fake_debootstrap(calls))
    template.ensure_template(paths, "bookworm")
    monkeypatch.setattr(template, "RECIPE_VERSION", template.RECIPE_VERSION + 1)

    assert not template.template_is_current(paths, "bookworm")
    template.ensure_template(paths, "bookworm")
    assert [c[0] for c in calls].count("debootstrap") == 2


def test_failed_build_keeps_the_log_and_leaves_no_template(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def failing(argv: list[str], **_: object) -> None:
        log = Path(argv[-2]) / "debootstrap" / "debootstrap.log"
        log.parent.mkdir(parents=True)
        log.write_text("E: Couldn't download packages\n")
        raise LabError("debootstrap failed")

    monkeypatch.setattr(template, "run", failing)
    paths = Paths(tmp_path)

    with pytest.raises(LabError, match="debootstrap failed") as caught:
        template.ensure_template(paths, "bookworm")
    saved = paths.template_dir("bookworm") / "debootstrap.log"
    assert str(saved) in caught.value.hint
    assert "download" in saved.read_text()
    assert not paths.template_rootfs("bookworm").exists()
    assert not (paths.template_dir("bookworm") / "rootfs.new").exists()


def test_unsupported_os_is_refused_with_the_choices(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="unsupported") as caught:
        template.ensure_template(Paths(tmp_path), "centos7")
    assert "bookworm" in caught.value.hint


def test_sshd_allows_password_login_only_for_the_sudo_user() -> None:
    text = template.SSHD_CONFIG

    assert text.index("PasswordAuthentication no") < text.index("Match User kxadmin")
    assert "PermitRootLogin prohibit-password" in text
