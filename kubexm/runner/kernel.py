"""Kernel settings: sysctl values (live and persistent), kernel modules (loaded and loaded at
boot, built-in ones recognised without modprobe) and swap off for good.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kubexm.errors import KubexmError
from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.util.shell import quote

SYSCTL_FILE = "/etc/sysctl.d/99-kubexm.conf"
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
MODULES_FILE = "/etc/modules-load.d/kubexm.conf"
FSTAB_BACKUP = "/etc/fstab.kubexm.bak"


@dataclass(frozen=True)
class SysctlValue:
    """One key as the kernel shows it: ``state`` is ``rw``, ``ro`` or ``missing``."""

    key: str
    state: str
    value: str


def _norm(value: object) -> str:
    return " ".join(str(value).split())


def sysctl_probe(keys: Sequence[str]) -> str:
    """Print ``<key> <rw|ro|missing> <value>`` per key, read straight from /proc/sys."""
    return (
        f"for k in {' '.join(quote(k) for k in keys)}; do "
        'f=/proc/sys/$(printf %s "$k" | tr . /); '
        'if [ ! -e "$f" ]; then echo "$k missing"; '
        'elif [ -w "$f" ]; then echo "$k rw $(cat "$f")"; '
        'else echo "$k ro $(cat "$f")"; fi; done'
    )


def parse_sysctl_probe(stdout: str) -> dict[str, SysctlValue]:
    """Parse ``sysctl_probe`` output into one ``SysctlValue`` per key."""
    values: dict[str, SysctlValue] = {}
    for line in stdout.splitlines():
        parts = line.split(" ", 2)
        if len(parts) >= 2:
            value = _norm(parts[2]) if len(parts) == 3 else ""
            values[parts[0]] = SysctlValue(parts[0], parts[1], value)
    return values


async def get_sysctl(host: Host, keys: Sequence[str]) -> dict[str, SysctlValue]:
    """Current value and writability of each key in one round trip."""
    result = await host.run(sysctl_probe(keys), check=False)
    return parse_sysctl_probe(result.stdout)


def _check_keys(values: Mapping[str, object]) -> None:
    bad = [k for k in values if not _KEY.fullmatch(k) or ".." in k]
    if bad:
        raise KubexmError(
            f"invalid sysctl key(s): {', '.join(map(repr, bad))}",
            hint="a sysctl key looks like net.ipv4.ip_forward",
        )


def _refused(current: SysctlValue | None) -> bool:
    return current is None or current.state != "rw"


async def ensure_sysctl(
    host: Host,
    values: Mapping[str, str | int],
    *,
    path: str = SYSCTL_FILE,
    tolerate_refused: bool = False,
) -> OpResult:
    """``path`` lists ``values`` and the running kernel has them.

    A key the kernel refuses (unknown, or read-only as non-net keys are in a container) is
    an error unless ``tolerate_refused``; then it is reported in ``detail`` and skipped, and
    stays in the file for the next boot. Keys under ``net.bridge`` need ``br_netfilter``
    loaded first (``ensure_kernel_modules``). Raises ``KubexmError`` for a
    malformed or refused key, ``CommandError`` when ``sysctl -w`` fails.
    """
    _check_keys(values)
    content = "".join(f"{k} = {_norm(v)}\n" for k, v in sorted(values.items()))
    current = await get_sysctl(host, list(values))
    refused = sorted(k for k in values if _refused(current.get(k)))
    if refused and not tolerate_refused:
        raise KubexmError(
            f"[{host.name}] the kernel refuses sysctl {', '.join(refused)} (unknown or read-only)",
            hint="load the module that provides the key, or allow refused keys "
            "(containers keep most non-net sysctls read-only)",
        )
    stale = [k for k in sorted(values) if k not in refused and current[k].value != _norm(values[k])]
    results = [await ensure_file(host, path, content, mode=0o644)]
    if stale:
        args = " ".join(quote(f"{k}={_norm(values[k])}") for k in stale)
        results.append(await host.execute(f"set sysctl {', '.join(stale)}", f"sysctl -w {args}"))
    result = combine(results)
    if refused:
        note = f"kernel refused: {', '.join(refused)}"
        return OpResult(result.changed, f"{result.detail}; {note}" if result.detail else note)
    return result


# Signs that a module's code is in the running kernel when neither /proc/modules nor
# modules.builtin can be read (containers share the host kernel but see neither file).
MODULE_EVIDENCE: dict[str, str] = {
    "br_netfilter": "test -d /proc/sys/net/bridge",
    "overlay": "grep -qw overlay /proc/filesystems",
    "ip_vs": "test -e /proc/net/ip_vs",
    "nf_conntrack": "test -e /proc/sys/net/netfilter/nf_conntrack_max",
}


def modules_probe(modules: Sequence[str]) -> str:
    """Print ``<module> loaded|builtin|absent`` per module.

    Built-in modules never show in /proc/modules; they are listed in modules.builtin, and
    some of them (with parameters) also appear under /sys/module. A module whose effect is
    visible (``MODULE_EVIDENCE``) counts as loaded.
    """
    cases = " ".join(f"{quote(m)}) {cmd};;" for m, cmd in MODULE_EVIDENCE.items())
    return (
        "b=/lib/modules/$(uname -r)/modules.builtin; "
        f"for m in {' '.join(quote(m) for m in modules)}; do "
        'u=$(printf %s "$m" | tr - _); '
        'if grep -q "^$u " /proc/modules 2>/dev/null; then echo "$m loaded"; '
        'elif grep -qE "/($m|$u)\\.ko" "$b" 2>/dev/null || [ -d "/sys/module/$u" ]; '
        'then echo "$m builtin"; '
        f'elif case "$m" in {cases} *) false;; esac; then echo "$m loaded"; '
        'else echo "$m absent"; fi; done'
    )


async def get_kernel_modules(host: Host, modules: Sequence[str]) -> dict[str, str]:
    """``{"br_netfilter": "loaded" | "builtin" | "absent"}`` in one round trip."""
    result = await host.run(modules_probe(modules), check=False)
    states = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    return {m: states.get(m, "absent") for m in modules}


async def ensure_kernel_modules(
    host: Host, modules: Sequence[str], *, path: str = MODULES_FILE
) -> OpResult:
    """Every module is loaded (or built in) now and listed in ``path`` for the next boot.

    Raises ``CommandError`` when ``modprobe`` fails (module missing from the kernel, or no
    permission to load modules, as inside a container).
    """
    states = await get_kernel_modules(host, modules)
    missing = [m for m in modules if states[m] == "absent"]
    results = [await ensure_file(host, path, "".join(f"{m}\n" for m in modules), mode=0o644)]
    if missing:
        cmd = " && ".join(f"modprobe {quote(m)}" for m in missing)
        results.append(await host.execute(f"load modules {', '.join(missing)}", cmd))
    return combine(results)


_FSTAB_SWAP = r"^[^#]\S*\s+\S+\s+swap\s"


async def get_swap_state(host: Host) -> tuple[bool, bool]:
    """(swap active now, an uncommented swap line in /etc/fstab) in one round trip."""
    cmd = (
        "tail -n +2 /proc/swaps | grep -q . && echo active; "
        f"grep -qE '{_FSTAB_SWAP}' /etc/fstab 2>/dev/null && echo fstab; true"
    )
    out = (await host.run(cmd, check=False)).stdout.split()
    return "active" in out, "fstab" in out


async def ensure_swap_off(host: Host) -> OpResult:
    """No swap is active and none comes back at boot: swap lines in /etc/fstab are commented
    out after a one-time backup to ``/etc/fstab.kubexm.bak``. Raises ``CommandError``."""
    active, in_fstab = await get_swap_state(host)
    results: list[OpResult] = []
    if active:
        results.append(await host.execute("turn swap off", "swapoff -a"))
    if in_fstab:
        cmd = (
            f"{{ [ -e {FSTAB_BACKUP} ] || cp -p /etc/fstab {FSTAB_BACKUP}; }} && "
            f"sed -i -E 's@^({_FSTAB_SWAP[1:]}.*)$@#\\1@' /etc/fstab"
        )
        results.append(await host.execute("comment out swap in /etc/fstab", cmd))
    if not results:
        return OpResult.unchanged("swap off")
    return combine(results)
