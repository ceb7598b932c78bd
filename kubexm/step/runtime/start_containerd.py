"""Start containerd, or restart it when its binaries, config or unit changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.errors import CommandError
from kubexm.runner.host import Host, OpResult
from kubexm.runner.systemd import ensure_service, get_service_state
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.util.shell import quote

#: The digest of what the running containerd was (re)started with.
STAMP = "/var/lib/kubexm/containerd.applied"


@register_step
@dataclass(frozen=True)
class StartContainerd(EnsureStep):
    """End state: containerd is enabled and running with the binaries, config and unit whose
    digest is ``digest``. A stopped containerd is started; a running one whose recorded
    digest differs is restarted (running containers survive: the unit's KillMode=process
    leaves their shims alone). Unchanged when it runs, is enabled and the digest matches, so
    a run that changed nothing never restarts it. Fails with ``CommandError`` (hint:
    journalctl) when systemd cannot start it.
    """

    name: ClassVar[str] = "runtime/start-containerd"
    title: ClassVar[str] = "Start containerd"
    digest: str

    async def ensure(self, host: Host) -> OpResult:
        state = await get_service_state(host, "containerd")
        applied = (await host.run(f"cat -- {STAMP}", check=False)).stdout.strip()
        record = f"mkdir -p -- /var/lib/kubexm && printf '%s\\n' {quote(self.digest)} > {STAMP}"

        if not state.running:
            cmd = "systemctl enable containerd.service && systemctl start containerd.service"
            return await self._act(host, "enable and start containerd", f"{cmd} && {record}")
        if applied != self.digest:
            cmd = f"systemctl restart containerd.service && {record}"
            return await self._act(host, "restart containerd (settings changed)", cmd)
        return await ensure_service(host, "containerd", running=True, enabled=True)

    @staticmethod
    async def _act(host: Host, what: str, cmd: str) -> OpResult:
        try:
            return await host.execute(what, cmd)
        except CommandError as exc:
            exc.hint = exc.hint or f"see 'journalctl -u containerd.service' on {host.name}"
            raise
