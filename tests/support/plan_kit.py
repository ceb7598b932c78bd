"""Plan a pipeline for a config without any host: fixed facts, a stocked work dir, text out.

``plan_context`` gives what the real ``RunContext`` offers planners (``config``,
``hosts_with_role``, ``facts``, ``work_dir``) with facts fixed per host (Debian 12 on amd64,
systemd, cgroup v2, the host's config address on ``eth0``) and a work dir whose
``artifacts/`` holds a small stand-in for every file, image archive and chart
``resolve_artifacts`` lists, so modules that look for their artifacts plan as on a machine
where ``kubexm download`` ran. ``plan_text`` plans and prints like ``kubexm plan`` without
status marks.

Planning generates the PKI into the work dir. RSA keys take a fifth of a second each, so
``plan_graph`` hands out keys from a ``KeyPool`` made once per test process instead: the
i-th key a plan asks for is the i-th key of the pool (``offset`` shifts that). Two plans of
one config with different offsets have different keys; whatever a plan prints must not
depend on them (``random_digests`` finds the lines that do).

``ancestors`` gives every node's transitive dependencies, for ordering assertions.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from cluster_kit import STANDINS, chart_archive

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import LoadedConfig, load
from kubexm.pipeline.base import Pipeline
from kubexm.pki import certs
from kubexm.pki.model import KeyType
from kubexm.plan import Graph, to_text
from kubexm.resource.bundle_manifest import chart_member
from kubexm.resource.oci import image_archive_name
from kubexm.resource.resolve import resolve_artifacts
from kubexm.runner.facts import Address, Facts
from kubexm.runtime import facts_mapping
from kubexm.runtime.workdir import WorkDir

#: The VRRP password the kit keeps in the work dir, so a plan never depends on a random one.
VRRP_PASSWORD = "kitPass1"
_SECRET_FILE = "lb/keepalived-auth"
_PREFIX = 24


def host_facts(cluster: Cluster, name: str) -> Mapping[str, object]:
    """The facts of host ``name`` as gathered from a clean Debian 12 amd64 machine."""
    address = cluster.host(name).internal_ip
    facts = Facts(
        os_id="debian",
        os_version="12",
        os_name="Debian GNU/Linux",
        os_codename="bookworm",
        os_family="debian",
        arch="amd64",
        kernel="6.1.0-28-amd64",
        cgroup_version=2,
        init_system="systemd",
        cpus=4,
        memory_mib=8192,
        disk_total_mib=100_000,
        disk_free_mib=80_000,
        hostname=name,
        fqdn=name,
        addresses=(Address("eth0", "inet", address, _PREFIX),),
        default_interface="eth0",
        default_ipv4=address,
        package_manager="apt",
    )
    return facts_mapping(facts)


def stock_artifacts(cluster: Cluster, artifacts: Path) -> list[Path]:
    """Put every file, image archive and chart ``cluster`` needs into ``artifacts`` (the
    layout of the work dir's cache) and return their paths.

    Files read while planning are small but real: the stand-in CNI manifests of
    ``tests/e2e/standins/manifests`` (matched by file name) and minimal chart archives;
    everything else is a one-line placeholder.
    """
    wanted = resolve_artifacts(cluster)
    paths = [artifacts / f.cache_path for f in wanted.files]
    paths += [artifacts / "images" / image_archive_name(i.source) for i in wanted.images]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        standin = STANDINS / path.name
        if standin.is_file():
            shutil.copyfile(standin, path)
        else:
            path.write_bytes(f"placeholder {path.name}\n".encode())
    charts = [chart_archive(artifacts / chart_member(c), c.name, c.version) for c in wanted.charts]
    return paths + charts


@dataclass
class HostlessContext:
    """A ``PlanContext`` (plus ``work_dir``) over a loaded config and fixed facts."""

    loaded: LoadedConfig
    work_dir: WorkDir
    host_facts: dict[str, Mapping[str, object]] = field(default_factory=dict)

    @property
    def config(self) -> Cluster:
        return self.loaded.cluster

    def hosts_with_role(self, role: str) -> Sequence[str]:
        return [h.name for h in self.config.hosts_in_role(role)]

    def facts(self, host: str) -> Mapping[str, object]:
        return self.host_facts.get(host, {})


def plan_context(config: Path | LoadedConfig, tmp_path: Path) -> HostlessContext:
    """A context for ``config`` (a file or a loaded config) with its work dir under
    ``tmp_path`` stocked with artifacts and the kit's VRRP password."""
    loaded = load(config) if isinstance(config, Path) else config
    cluster = loaded.cluster
    work = WorkDir(tmp_path / cluster.name).ensure()
    stock_artifacts(cluster, work.artifacts)
    secret = work.root / _SECRET_FILE
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text(VRRP_PASSWORD + "\n", encoding="utf-8")
    facts = {h.name: host_facts(cluster, h.name) for h in cluster.spec.hosts}
    return HostlessContext(loaded, work, facts)


_REAL_GENERATE_KEY = certs.generate_key
_POOL: dict[str, list[certs.PrivateKey]] = {}


@dataclass
class KeyPool:
    """A stand-in for ``certs.generate_key``: call n gets key ``offset + n`` of a pool
    shared by the whole test process (made with the real function when first needed)."""

    offset: int = 0
    calls: int = 0

    def __call__(self, key_type: KeyType) -> certs.PrivateKey:
        made = _POOL.setdefault(key_type, [])
        index = self.offset + self.calls
        self.calls += 1
        while len(made) <= index:
            made.append(_REAL_GENERATE_KEY(key_type))
        return made[index]


def plan_graph(pipeline: Pipeline, ctx: HostlessContext, *, key_offset: int = 0) -> Graph:
    """``pipeline`` planned for ``ctx``, its keys from a fresh ``KeyPool(key_offset)``."""
    with mock.patch.object(certs, "generate_key", KeyPool(key_offset)):
        return pipeline.plan(ctx)


def plan_text(pipeline: Pipeline, ctx: HostlessContext, *, key_offset: int = 0) -> str:
    """The plan of ``pipeline`` for ``ctx`` as ``kubexm plan`` prints it (no status marks)."""
    return to_text(plan_graph(pipeline, ctx, key_offset=key_offset))


def ancestors(graph: Graph) -> dict[str, frozenset[str]]:
    """Every node id with the ids it waits for, directly or through other nodes."""
    found: dict[str, frozenset[str]] = {}
    for nid in graph.order:
        deps = graph.nodes[nid].deps
        found[nid] = frozenset(deps).union(*(found[d] for d in deps))
    return found


_DIGEST = re.compile(r"\b[0-9a-f]{12,}\b")


def random_digests(first: str, second: str) -> list[str]:
    """Lines of two plans of one config that differ only in hex digests: each such line
    shows something random (a key, a token) leaking into a step's description."""
    return [
        a
        for a, b in zip(first.splitlines(), second.splitlines(), strict=False)
        if a != b and _DIGEST.sub("#", a) == _DIGEST.sub("#", b)
    ]
