"""Start etcd (without waiting for quorum) or restart it when its settings changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult
from kubexm.runner.systemd import ensure_service, get_service_state
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.util.shell import quote

#: The digest of the settings the running etcd was (re)started with.
STAMP = "/var/lib/kubexm/etcd.applied"


@register_step
@dataclass(frozen=True)
class StartEtcd(EnsureStep):
    """End state: etcd is enabled and running with the settings whose digest is ``digest``.

    A stopped member is started with ``--no-block``: a ``Type=notify`` etcd reports ready only
    once a quorum of members runs, so a blocking start of the first member would wait for the
    others forever. A running member whose recorded digest differs is restarted (blocking, one
    member at a time through ``etcd-restart``, so quorum is kept). Unchanged when etcd runs,
    is enabled and the digest matches. Fails with ``CommandError`` (hint: journalctl).
    """

    name: ClassVar[str] = "etcd/start-etcd"
    title: ClassVar[str] = "Start etcd"
    serial_group: ClassVar[str | None] = "etcd-restart"
    digest: str

    async def ensure(self, host: Host) -> OpResult:
        state = await get_service_state(host, "etcd")
        applied = (await host.run(f"cat -- {STAMP}", check=False)).stdout.strip()
        record = f"mkdir -p -- /var/lib/kubexm && printf '%s\\n' {quote(self.digest)} > {STAMP}"

        if not state.running:
            cmd = "systemctl enable etcd.service && systemctl start --no-block etcd.service"
            return await host.execute("enable and start etcd", f"{cmd} && {record}")
        if applied != self.digest:
            cmd = f"systemctl restart etcd.service && {record}"
            return await host.execute("restart etcd (settings changed)", cmd)
        return await ensure_service(host, "etcd", running=True, enabled=True)
