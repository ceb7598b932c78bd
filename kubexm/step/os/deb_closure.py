"""Which of a folder of .deb files a host needs for some packages: the dependency closure.

An offline package folder holds the closure of every package any host of the cluster needs
(haproxy for load-balancer hosts, chrony for all...). ``dpkg -i`` installs every file it is
given, so each host gets only the files its wanted packages reach through ``Pre-Depends`` and
``Depends`` that are not satisfied on it already. Versions in relations are not compared: the
folder was resolved for this OS release, and dpkg itself refuses a wrong version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from kubexm.errors import KubexmError
from kubexm.util.shell import quote

_VERSION = re.compile(r"\(.*?\)|\[.*?\]|<.*?>")


@dataclass(frozen=True)
class DebInfo:
    """One package file: its package, what it provides, and its dependency groups (each a
    tuple of alternatives)."""

    file: str
    package: str
    provides: tuple[str, ...] = ()
    depends: tuple[tuple[str, ...], ...] = ()


def relation_names(text: str) -> list[tuple[str, ...]]:
    """``a (>= 1) | b:any, c`` → ``[("a", "b"), ("c",)]``."""
    groups = []
    for group in text.split(","):
        alts = tuple(_VERSION.sub("", alt).strip().split(":", 1)[0] for alt in group.split("|"))
        alts = tuple(a for a in alts if a)
        if alts:
            groups.append(alts)
    return groups


def index_command(folder: str) -> str:
    """Print ``@@<file>`` then the control fields the closure needs, for every .deb."""
    return (
        f"cd {quote(folder)} && for f in *.deb; do printf '@@%s\\n' \"$f\"; "
        'dpkg-deb -f "$f" Package Provides Pre-Depends Depends; done'
    )


def _fields(lines: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    key = ""
    for line in lines:
        if line.startswith((" ", "\t")) and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    return fields


def parse_index(stdout: str) -> list[DebInfo]:
    """Parse ``index_command`` output; files without a Package field are skipped."""
    infos = []
    for chunk in stdout.split("@@")[1:]:
        head, *rest = chunk.splitlines()
        fields = _fields(rest)
        if not fields.get("Package"):
            continue
        provides = tuple(a for g in relation_names(fields.get("Provides", "")) for a in g)
        depends = relation_names(fields.get("Pre-Depends", ""))
        depends += relation_names(fields.get("Depends", ""))
        infos.append(DebInfo(head.strip(), fields["Package"], provides, tuple(depends)))
    return infos


INSTALLED_COMMAND = "dpkg-query -W -f='${Package}\\t${db:Status-Status}\\t${Provides}\\n'"


def parse_installed_provides(stdout: str) -> set[str]:
    """Names satisfied on the host: installed packages and what they provide."""
    names: set[str] = set()
    for line in stdout.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[1] == "installed":
            names.add(parts[0])
            if len(parts) > 2:
                names.update(a for g in relation_names(parts[2]) for a in g)
    return names


def closure(wanted: Iterable[str], infos: Iterable[DebInfo], satisfied: set[str]) -> list[str]:
    """The files to hand to ``dpkg -i`` so every ``wanted`` package gets installed.

    Raises ``KubexmError`` naming what neither the host nor the folder provides.
    """
    providers: dict[str, DebInfo] = {}
    for info in infos:
        for name in (info.package, *info.provides):
            providers.setdefault(name, info)
    have = set(satisfied)
    chosen: dict[str, None] = {}
    missing: list[str] = []
    todo: list[tuple[str, ...]] = [(name,) for name in wanted]
    while todo:
        group = todo.pop(0)
        if any(alt in have for alt in group):
            continue
        found = next((providers[a] for a in group if a in providers), None)
        if found is None:
            missing.append(" | ".join(group))
            continue
        chosen[found.file] = None
        have.update((found.package, *found.provides))
        todo.extend(found.depends)
    _raise_missing(missing)
    return list(chosen)


def _raise_missing(missing: list[str]) -> None:
    if missing:
        raise KubexmError(
            f"the offline OS packages lack {', '.join(sorted(set(missing)))}",
            hint="add these packages and their dependencies to the OS package folder "
            "(or the offline bundle) for this OS release",
        )
