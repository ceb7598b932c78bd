"""Start Kubernetes services, or restart one whose settings changed since it was started."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.systemd import ensure_service, get_service_state
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.util.shell import quote

#: Where the digest of the settings each running service was (re)started with is kept.
STAMP_DIR = "/var/lib/kubexm"


@dataclass(frozen=True)
class ServiceSettings:
    """A systemd service (``kube-apiserver``) and the digest of what it runs with."""

    service: str
    digest: str

    @property
    def stamp(self) -> str:
        return f"{STAMP_DIR}/{self.service}.applied"


async def ensure_started(host: Host, svc: ServiceSettings) -> OpResult:
    """``svc`` is enabled and running with the settings of ``svc.digest``."""
    state = await get_service_state(host, svc.service)
    applied = (await host.run(f"cat -- {quote(svc.stamp)}", check=False)).stdout.strip()
    unit = quote(f"{svc.service}.service")
    record = f"mkdir -p -- {STAMP_DIR} && printf '%s\\n' {quote(svc.digest)} > {quote(svc.stamp)}"

    if not state.running:
        cmd = f"systemctl enable {unit} && systemctl start {unit} && {record}"
        return await host.execute(f"enable and start {svc.service}", cmd)
    if applied != svc.digest:
        cmd = f"systemctl restart {unit} && {record}"
        return await host.execute(f"restart {svc.service} (settings changed)", cmd)
    return await ensure_service(host, svc.service, running=True, enabled=True)


@register_step
@dataclass(frozen=True)
class StartKubeServices(EnsureStep):
    """End state: each service of ``services`` is enabled and running with the settings whose
    digest it carries, in the given order. A stopped service is started; a running one whose
    recorded digest differs is restarted (a new binary, flag or config file changes the
    digest). Unchanged when every service runs, is enabled and its digest matches. Fails
    with ``CommandError`` when systemctl fails (hint: journalctl).
    """

    name: ClassVar[str] = "kubernetes/start-kube-services"
    title: ClassVar[str] = "Start Kubernetes services"
    services: tuple[ServiceSettings, ...]

    def describe(self) -> str:
        return f"{self.title}: {', '.join(s.service for s in self.services)}"

    async def ensure(self, host: Host) -> OpResult:
        return combine([await ensure_started(host, svc) for svc in self.services])
