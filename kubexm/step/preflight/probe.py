"""What preflight reads beyond the facts, in one privileged round trip per host.

The facts (``kubexm.runner.facts``) are gathered without sudo; preflight also needs root's
view: listening ports with their processes, kernel modules, mount flags of ``/tmp``, free
space under ``/var/lib``, swap lines in ``/etc/fstab`` and files an earlier install left.
The first check on a host runs the probe and keeps it in the host's cache for the others.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kubexm.errors import KubexmError
from kubexm.plan import StepContext
from kubexm.runner.facts import split_sections
from kubexm.runner.host import Host
from kubexm.runner.kernel import modules_probe
from kubexm.util.shell import quote

PROBE_KEY = "preflight.probe"
PROBE_TIMEOUT = 60.0
# Files whose presence means Kubernetes or etcd was installed here before.
LEFTOVER_FILES = ("/etc/kubernetes/kubelet.conf", "/var/lib/kubelet/config.yaml")
ETCD_DATA_DIR = "/var/lib/etcd"
_FSTAB_SWAP = r"^[^#]\S*\s+\S+\s+swap\s"
_USERS = re.compile(r'users:\(\("([^"]+)"')


@dataclass(frozen=True)
class HostProbe:
    """Root's view of one host; ``sudo_error`` is set when sudo failed (the rest was then
    read as the login user and may be incomplete)."""

    sudo_error: str = ""
    diagnostics: tuple[str, ...] = ()
    fstab_swap: bool = False
    modules: dict[str, str] = field(default_factory=dict)  # loaded|builtin|available|absent
    tmp_options: tuple[str, ...] = ()
    var_lib_free_mib: int | None = None
    leftovers: tuple[str, ...] = ()
    listening: dict[int, str] = field(default_factory=dict)  # port -> process ("" unknown)


def probe_script(modules: Sequence[str]) -> str:
    """The script ``parse_probe`` reads; every probe tolerates a missing tool."""
    names = " ".join(quote(m) for m in modules) or "none"
    leftovers = " ".join(quote(p) for p in LEFTOVER_FILES)
    return "\n".join(
        [
            "PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin",
            f"echo @@fstab; grep -qE '{_FSTAB_SWAP}' /etc/fstab 2>/dev/null && echo swap",
            f"echo @@modules; {modules_probe(modules) if modules else 'true'}",
            "echo @@available; d=/lib/modules/$(uname -r)/modules.dep; "
            f'for m in {names}; do grep -qE "/$m\\.ko" "$d" 2>/dev/null && echo "$m"; done',
            "echo @@tmp; awk '$2==\"/tmp\"{print $4}' /proc/mounts 2>/dev/null | tail -n 1",
            "echo @@varlib; df -Pk /var/lib 2>/dev/null | tail -n 1",
            f'echo @@leftovers; for f in {leftovers}; do [ -e "$f" ] && echo "$f"; done; '
            f'[ -n "$(ls -A {ETCD_DATA_DIR} 2>/dev/null)" ] && echo {ETCD_DATA_DIR}',
            "echo @@ports; ss -ltnpH 2>/dev/null",
            "true",
        ]
    )


def _modules(section: str, available: str) -> dict[str, str]:
    states = dict(line.split(" ", 1) for line in section.splitlines() if " " in line)
    can_load = set(available.split())
    return {
        m: ("available" if s == "absent" and m in can_load else s.strip())
        for m, s in states.items()
    }


def _listening(section: str) -> dict[int, str]:
    ports: dict[int, str] = {}
    for line in section.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        port = fields[3].rpartition(":")[2]
        if port.isdigit():
            match = _USERS.search(line)
            ports.setdefault(int(port), match.group(1) if match else "")
    return ports


def _free_mib(line: str) -> int | None:
    fields = line.split()
    return int(fields[3]) // 1024 if len(fields) >= 4 and fields[3].isdigit() else None


def parse_probe(stdout: str, *, sudo_error: str = "", diagnostics: Sequence[str] = ()) -> HostProbe:
    """Build a ``HostProbe`` from the script output; missing sections give neutral values."""
    s = split_sections(stdout)
    options = s.get("tmp", "").strip()
    return HostProbe(
        sudo_error=sudo_error,
        diagnostics=tuple(diagnostics),
        fstab_swap=s.get("fstab", "").strip() == "swap",
        modules=_modules(s.get("modules", ""), s.get("available", "")),
        tmp_options=tuple(options.split(",")) if options else (),
        var_lib_free_mib=_free_mib(s.get("varlib", "")),
        leftovers=tuple(s.get("leftovers", "").split()),
        listening=_listening(s.get("ports", "")),
    )


async def _run_probe(ctx: StepContext, modules: Sequence[str]) -> HostProbe:
    script = probe_script(modules)
    sudo_error = ""
    try:
        result = await Host(ctx.conn, sudo=True).run(script, check=False, timeout=PROBE_TIMEOUT)
    except KubexmError as exc:
        # Sudo refused or asked for a password: report it, and still read what a plain
        # user can, so the other checks have something to say.
        sudo_error = exc.message + (f" ({exc.hint})" if exc.hint else "")
        result = await Host(ctx.conn, sudo=False).run(script, check=False, timeout=PROBE_TIMEOUT)
    diagnostics = [str(d) for d in getattr(ctx.conn, "diagnostics", [])]
    return parse_probe(result.stdout, sudo_error=sudo_error, diagnostics=diagnostics)


async def load_probe(ctx: StepContext, modules: Sequence[str]) -> HostProbe:
    """The host's probe, run once per run and host and then read from the host cache.

    Raises ``CommandError``/``CommandTimeout`` when the host cannot run even the unprivileged
    probe (connection lost, 60 s timeout).
    """
    cached = ctx.cache.get(PROBE_KEY)
    if isinstance(cached, HostProbe):
        return cached
    probe = await _run_probe(ctx, modules)
    ctx.cache.set(PROBE_KEY, probe)
    return probe
