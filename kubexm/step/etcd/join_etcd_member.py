"""Add this host to a running etcd cluster when it is new to it (``etcdctl member add``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from kubexm.errors import CommandError
from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.etcd.render import BIN_DIR, CA_CRT, CLIENT_CRT, CLIENT_KEY, JOIN_ENV_FILE
from kubexm.util.shell import join

#: Short timeouts: during a first bootstrap nothing answers and every member asks once.
_TIMEOUTS = ("--dial-timeout=3s", "--command-timeout=8s")
#: etcd refuses ``member add`` ("unhealthy cluster") until every member has been connected
#: for its health interval (5 s), e.g. right after members restarted: ask again for ~60 s.
ADD_ATTEMPTS = 20
ADD_RETRY_DELAY = 3.0


def etcdctl(endpoints: Sequence[str], *args: str) -> str:
    """An etcdctl command line against ``endpoints`` with the health-check client cert."""
    argv = [
        f"{BIN_DIR}/etcdctl",
        f"--endpoints={','.join(endpoints)}",
        f"--cacert={CA_CRT}",
        f"--cert={CLIENT_CRT}",
        f"--key={CLIENT_KEY}",
        *_TIMEOUTS,
        *args,
    ]
    return "ETCDCTL_API=3 " + join(argv)


def peer_urls(member: dict[str, object]) -> list[str]:
    """The ``peerURLs`` of one entry of ``member list -w json``."""
    urls = member.get("peerURLs")
    return [str(u) for u in urls] if isinstance(urls, list) else []


def initial_cluster(members: list[dict[str, object]], name: str, peer_url: str) -> str:
    """``name=url,...`` from ``member list -w json``; a not-yet-started member has no name."""
    pairs = []
    for member in members:
        urls = peer_urls(member)
        if not urls:
            continue
        who = str(member.get("name") or "") or (name if peer_url in urls else "")
        if who:
            pairs.append(f"{who}={urls[0]}")
    return ",".join(sorted(pairs))


@register_step
@dataclass(frozen=True)
class JoinEtcdMember(EnsureStep):
    """End state: a host whose data dir is still empty is a member of the running cluster
    reached through ``peers`` (the other members' client URLs) and ``/etc/etcd.join.env``
    makes its first start use ``initial-cluster-state: existing``.

    Unchanged when the data dir already holds a member, or when no peer answers: then the
    cluster is being bootstrapped and the env file's ``new`` state applies. Serial across the
    cluster (``etcd-member-add``) because etcd accepts one unstarted member at a time.
    ``member add`` refused as "unhealthy cluster" (members connected for less than etcd's
    health interval) is asked again for about a minute. Fails with ``CommandError`` when
    ``member add`` is refused otherwise or for longer.
    """

    name: ClassVar[str] = "etcd/join-etcd-member"
    title: ClassVar[str] = "Join etcd member"
    serial_group: ClassVar[str | None] = "etcd-member-add"
    member: str
    peer_url: str
    peers: tuple[str, ...]
    data_dir: str

    async def ensure(self, host: Host) -> OpResult:
        if not self.peers or await host.test(f"test -d {join([self.data_dir + '/member'])}"):
            return OpResult.unchanged(f"{self.member} has its etcd data")
        members = await self._members(host)
        if members is None:
            return OpResult.unchanged("no etcd member answers: bootstrapping a new cluster")

        added = OpResult.unchanged(f"{self.member} already listed")
        if not any(self.peer_url in peer_urls(m) for m in members):
            added = await self._add(host)
            if host.dry_run:
                return added
            members = await self._members(host) or []
        env = (
            f"ETCD_INITIAL_CLUSTER={initial_cluster(members, self.member, self.peer_url)}\n"
            "ETCD_INITIAL_CLUSTER_STATE=existing\n"
        )
        return combine([added, await ensure_file(host, JOIN_ENV_FILE, env, mode=0o644)])

    async def _add(self, host: Host) -> OpResult:
        cmd = etcdctl(self.peers, "member", "add", self.member, f"--peer-urls={self.peer_url}")
        for attempt in range(1, ADD_ATTEMPTS + 1):
            try:
                return await host.execute(f"add etcd member {self.member}", cmd)
            except CommandError as exc:
                if "unhealthy cluster" not in exc.stderr or attempt == ADD_ATTEMPTS:
                    raise
            await asyncio.sleep(ADD_RETRY_DELAY)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _members(self, host: Host) -> list[dict[str, object]] | None:
        result = await host.run(etcdctl(self.peers, "member", "list", "-w", "json"), check=False)
        if not result.ok:
            return None
        try:
            doc = json.loads(result.stdout)
        except ValueError as exc:
            raise CommandError(
                host.name, "etcdctl member list", 0, result.stdout, "", hint="unexpected output"
            ) from exc
        found = doc.get("members", []) if isinstance(doc, dict) else []
        return [m for m in found if isinstance(m, dict)]
