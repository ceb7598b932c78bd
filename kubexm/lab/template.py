"""The host template: a minimal debootstrapped Debian with systemd, sshd and sudo.

The template holds no secrets and no per-host identity (keys, machine-id, hostname are made per
host at creation or at first boot), so one cached template serves every lab on the machine. It
is rebuilt only when missing or when the recipe below changes (its fingerprint is stored next to
it). It stays minimal on purpose: whatever kubexm installs on real hosts (etcd, containerd,
haproxy, keepalived, nginx, conntrack, socat...) it must install on lab hosts too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from kubexm.errors import LabError
from kubexm.lab.layout import SUDO_USER, SUPPORTED_OS, Paths
from kubexm.lab.system import remove_tree, run

log = logging.getLogger(__name__)

RECIPE_VERSION = 1
MIRROR = "http://deb.debian.org/debian"

PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "openssh-server",
    "sudo",
    "iproute2",
    "procps",
    "python3",
    "ca-certificates",
    "curl",
    "iptables",
    "kmod",
    "openssl",
    "tar",
    "gzip",
    "util-linux",
    "netbase",
)

# Units that would touch the machine's clock/disks or reach the network from an offline host.
MASKED_UNITS = (
    "systemd-timesyncd.service",
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
    "e2scrub_all.timer",
    "fstrim.timer",
    "getty@tty1.service",
    "console-getty.service",
)

# Host keys are deleted from the template, so sshd makes its own at every host's first boot.
SSH_DROPIN = """[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
"""

SSHD_CONFIG = f"""PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
Match User {SUDO_USER}
    PasswordAuthentication yes
"""

# nspawn mounts the cgroup v1 controllers read-only; runc needs them writable. A plain
# `remount,rw` fails with EBUSY, `remount,bind,rw` flips only this mount's flag.
CGROUP_RW_UNIT = """[Unit]
Description=kubexm lab: make the cgroup v1 controllers writable for runc
DefaultDependencies=no
After=local-fs.target
Before=sysinit.target containerd.service
ConditionVirtualization=systemd-nspawn

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'for m in $(findmnt -rn -t cgroup -o TARGET); do \
mount -o remount,bind,rw "$m"; done'

[Install]
WantedBy=sysinit.target
"""

FILES: dict[str, str] = {
    "etc/systemd/system/ssh.service.d/kubexm-lab.conf": SSH_DROPIN,
    "etc/ssh/sshd_config.d/kubexm-lab.conf": SSHD_CONFIG,
    "etc/systemd/system/kubexm-lab-cgroup-rw.service": CGROUP_RW_UNIT,
    "etc/hostname": "kubexm-lab-template\n",
    "etc/machine-id": "",
}

SYMLINKS: dict[str, str] = {
    "etc/systemd/system/sysinit.target.wants/kubexm-lab-cgroup-rw.service": (
        "/etc/systemd/system/kubexm-lab-cgroup-rw.service"
    ),
    **{f"etc/systemd/system/{unit}": "/dev/null" for unit in MASKED_UNITS},
}


@dataclass(frozen=True)
class TemplateInfo:
    """A ready template: where it is and how long building it took (0 when cached)."""

    os_name: str
    rootfs: Path
    build_seconds: float


def recipe_fingerprint(os_name: str) -> str:
    """Changes whenever the recipe (version, packages, files, OS) changes."""
    recipe = {
        "version": RECIPE_VERSION,
        "os": os_name,
        "packages": PACKAGES,
        "masked": MASKED_UNITS,
        "files": FILES,
        "links": SYMLINKS,
        "user": SUDO_USER,
    }
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()
    return f"{RECIPE_VERSION}-{digest[:16]}"


def debootstrap_argv(os_name: str, target: Path, mirror: str = MIRROR) -> list[str]:
    """The debootstrap command that builds the bare template for ``os_name``."""
    return [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        os_name,
        str(target),
        mirror,
    ]


def template_is_current(paths: Paths, os_name: str) -> bool:
    """True when the cached template exists and was built by the current recipe."""
    stamp = paths.template_dir(os_name) / "recipe"
    systemd = paths.template_rootfs(os_name) / "lib/systemd/systemd"
    try:
        return systemd.exists() and stamp.read_text().strip() == recipe_fingerprint(os_name)
    except FileNotFoundError:
        return False


def ensure_template(paths: Paths, os_name: str) -> TemplateInfo:
    """Return the template for ``os_name``, building it first when missing or outdated.

    The build goes to a scratch directory renamed into place at the end, so an interrupted
    build never leaves a half template behind. LabError when the OS is unsupported or
    debootstrap fails (it needs the Debian mirror; it runs for about 80 s).
    """
    if os_name not in SUPPORTED_OS:
        raise LabError(
            f"unsupported lab OS {os_name!r}", f"choose one of {', '.join(SUPPORTED_OS)}"
        )
    rootfs = paths.template_rootfs(os_name)
    if template_is_current(paths, os_name):
        return TemplateInfo(os_name, rootfs, 0.0)
    started = time.monotonic()
    log.info("lab: building the %s template (debootstrap, about 1-2 minutes)", os_name)
    scratch = paths.template_dir(os_name) / "rootfs.new"
    remove_tree(scratch)
    scratch.mkdir(parents=True)
    try:
        run(debootstrap_argv(os_name, scratch), timeout=1800)
    except LabError as error:
        log_file = _keep_debootstrap_log(scratch, paths.template_dir(os_name))
        remove_tree(scratch)
        raise LabError(error.message, f"read {log_file}; is {MIRROR} reachable?") from error
    customise(scratch)
    remove_tree(rootfs)
    scratch.rename(rootfs)
    (paths.template_dir(os_name) / "recipe").write_text(recipe_fingerprint(os_name) + "\n")
    seconds = time.monotonic() - started
    log.info("lab: built the %s template in %.0f s", os_name, seconds)
    return TemplateInfo(os_name, rootfs, seconds)


def _keep_debootstrap_log(scratch: Path, keep_in: Path) -> Path:
    """Save debootstrap's own log (it lives in the target) before the target is deleted."""
    saved = keep_in / "debootstrap.log"
    source = scratch / "debootstrap" / "debootstrap.log"
    if source.exists():
        shutil.copyfile(source, saved)
    return saved


def customise(rootfs: Path) -> None:
    """Apply the recipe to a fresh debootstrap tree: files, links, user, no identity, small."""
    for relative, text in FILES.items():
        target = rootfs / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for relative, destination in SYMLINKS.items():
        link = rootfs / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(destination)
    for key in (rootfs / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (rootfs / "var/lib/dbus/machine-id").unlink(missing_ok=True)
    # locked password in the template; each host gets the lab's password at creation
    run(["chroot", str(rootfs), "useradd", "-m", "-s", "/bin/bash", "-G", "sudo", SUDO_USER])
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for entry in (rootfs / junk).glob("*"):
            if entry.is_file():
                entry.unlink()
