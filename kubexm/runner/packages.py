"""OS packages through apt, dnf or yum: what is installed, installing from the configured
repositories, and installing local .deb/.rpm files that were pushed to the host (air-gap).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kubexm.errors import KubexmError
from kubexm.runner.host import Host, OpResult
from kubexm.util.shell import quote


@dataclass(frozen=True)
class PackageManager:
    """The commands of one package manager family; values are argv prefixes."""

    name: str
    query: str  # prints "<name> <version>" per installed package, nothing for missing ones
    install: str
    install_local: str
    refresh: str


_DPKG_QUERY = (
    "dpkg-query -W -f='${Package} ${db:Status-Status} ${Version}\\n'"
)  # fmt: skip
MANAGERS: dict[str, PackageManager] = {
    "apt": PackageManager(
        "apt",
        _DPKG_QUERY,
        "env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends",
        "env DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold",
        "apt-get update -q",
    ),
    "dnf": PackageManager(
        "dnf",
        "rpm -q --qf '%{NAME} installed %{VERSION}-%{RELEASE}\\n'",
        "dnf install -y -q",
        "rpm -Uvh --replacepkgs",
        "dnf makecache -q",
    ),
    "yum": PackageManager(
        "yum",
        "rpm -q --qf '%{NAME} installed %{VERSION}-%{RELEASE}\\n'",
        "yum install -y -q",
        "rpm -Uvh --replacepkgs",
        "yum makecache -q",
    ),
}


def package_manager(name: str) -> PackageManager:
    """The command table for ``apt``/``dnf``/``yum``; raises ``KubexmError`` otherwise."""
    try:
        return MANAGERS[name]
    except KeyError:
        raise KubexmError(
            f"unsupported package manager {name!r}",
            hint="kubexm installs packages with apt, dnf or yum only",
        ) from None


def parse_installed(stdout: str) -> dict[str, str]:
    """``{"socat": "1.7.4.4-2"}`` from the query output; missing packages are absent."""
    found: dict[str, str] = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "installed":
            found[parts[0]] = parts[2]
    return found


async def get_installed_packages(
    host: Host, names: Sequence[str], *, manager: str
) -> dict[str, str]:
    """Installed version of each of ``names`` that is installed, in one round trip."""
    pm = package_manager(manager)
    cmd = f"{pm.query} {' '.join(quote(n) for n in names)}"
    result = await host.run(cmd, check=False)
    return parse_installed(result.stdout)


async def ensure_packages(
    host: Host,
    names: Sequence[str],
    *,
    manager: str,
    refresh: bool = True,
    timeout: float = 900.0,
) -> OpResult:
    """Every package in ``names`` is installed (any version) from the configured repositories.

    With ``refresh`` the package index is refreshed first, but only when something is
    missing. Raises ``CommandError`` when the install fails (unknown package, unreachable
    repository), ``CommandTimeout`` after ``timeout`` seconds.
    """
    pm = package_manager(manager)
    installed = await get_installed_packages(host, names, manager=manager)
    missing = [n for n in names if n not in installed]
    if not missing:
        return OpResult.unchanged(f"{len(names)} packages installed")
    args = " ".join(quote(n) for n in missing)
    cmd = f"{pm.install} {args}"
    if refresh:
        cmd = f"{pm.refresh} && {cmd}"
    return await host.execute(f"install packages {', '.join(missing)}", cmd, timeout=timeout)


async def ensure_local_packages(
    host: Host,
    files: Sequence[str],
    names: Sequence[str],
    *,
    manager: str,
    timeout: float = 900.0,
) -> OpResult:
    """The packages ``names`` are installed from the package files ``files`` already on the
    host; all files go to one ``dpkg -i``/``rpm -Uvh`` so their mutual order is resolved.

    Raises ``CommandError`` when a dependency outside ``files`` is missing.
    """
    pm = package_manager(manager)
    installed = await get_installed_packages(host, names, manager=manager)
    missing = [n for n in names if n not in installed]
    if not missing:
        return OpResult.unchanged(f"{len(names)} packages installed")
    cmd = f"{pm.install_local} {' '.join(quote(f) for f in files)}"
    what = f"install local packages {', '.join(missing)}"
    return await host.execute(what, cmd, timeout=timeout)
