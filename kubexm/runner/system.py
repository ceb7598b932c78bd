"""Host identity and OS settings: the kubexm block in /etc/hosts, hostname, timezone, chrony,
firewall and SELinux off, and system users.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubexm.errors import KubexmError
from kubexm.runner.files import ensure_file, get_file_state
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.systemd import ensure_service, get_service_state, restart_service
from kubexm.util.shell import quote

HOSTS_BEGIN = "# BEGIN kubexm managed block"
HOSTS_END = "# END kubexm managed block"
CHRONY_PATHS = {"debian": "/etc/chrony/chrony.conf", "rhel": "/etc/chrony.conf"}
CHRONY_SERVICES = {"debian": "chrony", "rhel": "chronyd"}


def replace_hosts_block(text: str, lines: Sequence[str]) -> str:
    """``text`` (an /etc/hosts) with the kubexm block replaced by ``lines``.

    An existing block is replaced where it is; otherwise the block is appended. With no
    ``lines`` the block is removed.
    """
    kept: list[str] = []
    inside = False
    position: int | None = None
    for line in text.splitlines():
        if line.strip() == HOSTS_BEGIN:
            inside, position = True, len(kept)
        elif line.strip() == HOSTS_END and inside:
            inside = False
        elif not inside:
            kept.append(line)
    block = [HOSTS_BEGIN, *lines, HOSTS_END] if lines else []
    at = len(kept) if position is None else position
    result = kept[:at] + block + kept[at:]
    return "\n".join(result) + "\n" if result else ""


def hosts_lines(entries: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """One ``<address> <name>...`` line per entry, in the given order."""
    return [f"{address} {' '.join(names)}" for address, names in entries]


async def ensure_hosts_block(
    host: Host, entries: Sequence[tuple[str, Sequence[str]]], *, path: str = "/etc/hosts"
) -> OpResult:
    """/etc/hosts holds exactly ``entries`` between the kubexm markers; lines outside the
    block are kept as they are. Raises ``CommandError``/``TransferError`` on failure."""
    current = await host.run(f"cat -- {quote(path)}", check=False)
    wanted = replace_hosts_block(current.stdout, hosts_lines(entries))
    return await ensure_file(host, path, wanted, mode=0o644)


async def ensure_hostname(host: Host, name: str) -> OpResult:
    """The running hostname and /etc/hostname are ``name``.

    Uses ``hostnamectl`` when it works and falls back to ``hostname`` plus /etc/hostname
    (containers without a running hostnamed). Raises ``CommandError``.
    """
    out = await host.run("hostname; cat /etc/hostname", check=False)
    lines = [line.strip() for line in out.stdout.splitlines()] + ["", ""]
    if lines[0] == name and lines[1] == name:
        return OpResult.unchanged(f"hostname {name}")
    n = quote(name)
    cmd = (
        f"hostnamectl set-hostname {n} 2>/dev/null || "
        f"{{ hostname {n} && printf '%s\\n' {n} > /etc/hostname; }}"
    )
    return await host.execute(f"set hostname {name}", cmd)


async def ensure_timezone(host: Host, zone: str) -> OpResult:
    """/etc/localtime points at ``zone`` (``Asia/Shanghai``). Raises ``KubexmError`` when the
    zone is unknown on the host, ``CommandError`` when setting it fails."""
    zonefile = f"/usr/share/zoneinfo/{zone}"
    state = await get_file_state(host, "/etc/localtime")
    if state.target is not None and state.target.endswith(f"zoneinfo/{zone}"):
        return OpResult.unchanged(f"timezone {zone}")
    if not await host.test(f"test -e {quote(zonefile)}"):
        raise KubexmError(
            f"[{host.name}] unknown timezone {zone!r}",
            hint="use a name from /usr/share/zoneinfo (install tzdata if it is empty)",
        )
    cmd = (
        f"timedatectl set-timezone {quote(zone)} 2>/dev/null || "
        f"ln -sfn {quote(zonefile)} /etc/localtime"
    )
    return await host.execute(f"set timezone {zone}", cmd)


def chrony_config(servers: Sequence[str], *, allow: Sequence[str] = (), local: bool = False) -> str:
    """chrony.conf text: the given NTP servers (iburst), optional client networks allowed to
    sync from this host, and ``local stratum 10`` to keep serving when upstream is gone."""
    lines = ["# managed by kubexm", *(f"server {s} iburst" for s in servers)]
    lines += [f"allow {net}" for net in allow]
    if local:
        lines.append("local stratum 10")
    lines += [
        "driftfile /var/lib/chrony/drift",
        "makestep 1.0 3",
        "rtcsync",
        "logdir /var/log/chrony",
    ]
    return "\n".join(lines) + "\n"


async def ensure_chrony(
    host: Host,
    servers: Sequence[str],
    *,
    os_family: str,
    allow: Sequence[str] = (),
    local: bool = False,
) -> OpResult:
    """chrony is configured with ``servers``, enabled and running; it is restarted only when
    its configuration changed. chrony itself must be installed (``ensure_packages``)."""
    family = os_family if os_family in CHRONY_PATHS else "rhel"
    service = CHRONY_SERVICES[family]
    written = await ensure_file(
        host, CHRONY_PATHS[family], chrony_config(servers, allow=allow, local=local)
    )
    results = [written, await ensure_service(host, service, running=True, enabled=True)]
    if written.changed and not results[1].changed:
        results.append(await restart_service(host, service))
    return combine(results)


async def ensure_firewall_off(host: Host) -> OpResult:
    """firewalld and ufw, where installed, are stopped and disabled. Raises ``CommandError``."""
    results = []
    for service in ("firewalld", "ufw"):
        if (await get_service_state(host, service)).exists:
            results.append(await ensure_service(host, service, running=False, enabled=False))
    return combine(results) if results else OpResult.unchanged("no firewall service")


async def ensure_selinux_off(host: Host, *, config: str = "/etc/selinux/config") -> OpResult:
    """SELinux is not enforcing now (``setenforce 0``) and is disabled from the next boot on.
    Hosts without SELinux are left alone."""
    cmd = f"getenforce 2>/dev/null; grep -E '^SELINUX=' {quote(config)} 2>/dev/null; true"
    out = (await host.run(cmd, check=False)).stdout.split()
    results: list[OpResult] = []
    if "Enforcing" in out:
        results.append(await host.execute("set SELinux permissive", "setenforce 0"))
    if any(w.startswith("SELINUX=") and w != "SELINUX=disabled" for w in out):
        sed = f"sed -i -E 's/^SELINUX=.*/SELINUX=disabled/' {quote(config)}"
        results.append(await host.execute(f"disable SELinux in {config}", sed))
    return combine(results) if results else OpResult.unchanged("SELinux off")


async def ensure_user(
    host: Host,
    name: str,
    *,
    system: bool = True,
    home: str | None = None,
    shell: str = "/sbin/nologin",
) -> OpResult:
    """A user ``name`` exists (with a group of the same name). Existing users are not
    modified. Raises ``CommandError`` when ``useradd`` fails."""
    if await host.test(f"id -u {quote(name)}"):
        return OpResult.unchanged(f"user {name} exists")
    args = ["useradd", "-U", "-s", shell]
    args += ["-r"] if system else ["-m"]
    if home is not None:
        args += ["-d", home]
    cmd = " ".join(quote(a) for a in [*args, name])
    return await host.execute(f"add user {name}", cmd)
