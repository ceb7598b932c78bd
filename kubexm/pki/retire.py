"""Per-host PKI files of hosts that left the config: found, then moved aside, never deleted.

Per-host items follow the templates of ``table.LEAVES`` (``etcd/{node}-server``,
``kubelet/{node}-client``...) and ``kubeconfig.PER_NODE_CONFS`` (``kubelet-{node}.conf``...).
A file matching one of them whose name the current plan does not hold belongs to a removed
host. ``retire`` moves such files to ``<pki>/retired/<UTC timestamp>/`` (keys keep their
private mode there): key material is never deleted silently, and an operator can restore it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from kubexm.errors import PKIError
from kubexm.pki.kubeconfig import PER_NODE_CONFS
from kubexm.pki.store import ensure_dir
from kubexm.pki.table import LEAVES

RETIRED_DIR = "retired"
NODE = "{node}"
RetiredKind = Literal["leaf", "kubeconfig"]


@dataclass(frozen=True)
class StaleItem:
    """A per-host leaf (``name`` without suffix, its ``.crt``/``.key`` files) or kubeconfig
    that no host of the current config uses."""

    name: str
    kind: RetiredKind
    files: tuple[Path, ...]


def _split(template: str) -> tuple[str, str]:
    head, _, tail = template.partition(NODE)
    return head, tail


def _matches(name: str, templates: Iterable[str]) -> bool:
    """Whether ``name`` is some template with a non-empty host name in place of ``{node}``."""
    for head, tail in map(_split, templates):
        if name.startswith(head) and name.endswith(tail) and len(name) > len(head) + len(tail):
            return True
    return False


def per_host_leaf_templates() -> tuple[str, ...]:
    """``etcd/{node}-server`` and the other leaf names issued once per host."""
    return tuple(row.name for row in LEAVES if row.scope != "cluster")


def stale_items(
    pki_dir: Path, kubeconfig_dir: Path, leaves: Iterable[str], confs: Iterable[str]
) -> list[StaleItem]:
    """Per-host files under ``pki_dir``/``kubeconfig_dir`` that ``leaves``/``confs`` (the
    current plan's names) do not hold, sorted by name."""
    keep_leaves, keep_confs = set(leaves), set(confs)
    templates = per_host_leaf_templates()
    by_leaf: dict[str, list[Path]] = {}
    for folder in sorted({t.rpartition("/")[0] for t in templates}):
        for path in sorted((pki_dir / folder).glob("*")):
            name = path.relative_to(pki_dir).with_suffix("").as_posix()
            wanted = name in keep_leaves or not _matches(name, templates)
            if path.suffix in (".crt", ".key") and path.is_file() and not wanted:
                by_leaf.setdefault(name, []).append(path)
    items = [StaleItem(name, "leaf", tuple(paths)) for name, paths in sorted(by_leaf.items())]
    for path in sorted(kubeconfig_dir.glob("*.conf")) if kubeconfig_dir.is_dir() else []:
        if path.name not in keep_confs and _matches(path.name, PER_NODE_CONFS):
            items.append(StaleItem(path.name, "kubeconfig", (path,)))
    return items


def retired_folder(pki_dir: Path, now: datetime) -> Path:
    """``<pki>/retired/<YYYYmmddTHHMMSSZ>``, with ``-2``, ``-3``... when that one exists."""
    base = pki_dir / RETIRED_DIR / now.strftime("%Y%m%dT%H%M%SZ")
    candidate, count = base, 1
    while candidate.exists():
        count += 1
        candidate = base.with_name(f"{base.name}-{count}")
    return candidate


def retire(
    items: Iterable[StaleItem], pki_dir: Path, kubeconfig_dir: Path, dest: Path
) -> list[Path]:
    """Move every file of ``items`` under ``dest`` (leaves keep their path below ``pki_dir``,
    kubeconfigs go to ``dest/kubeconfig/``); return the new paths.

    Folders are created 0700. Raises ``PKIError`` when a file cannot be moved; files moved
    before stay in ``dest``.
    """
    moved: list[Path] = []
    for item in items:
        base = kubeconfig_dir if item.kind == "kubeconfig" else pki_dir
        prefix = Path("kubeconfig") if item.kind == "kubeconfig" else Path()
        for path in item.files:
            target = dest / prefix / path.relative_to(base)
            try:
                ensure_dir(target.parent)
                os.replace(path, target)
            except OSError as exc:
                raise PKIError(
                    f"cannot move {path} to {target}: {exc.strerror or exc}",
                    f"check the permissions of {pki_dir}",
                ) from exc
            moved.append(target)
    return moved
