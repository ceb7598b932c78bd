"""Time sync with chrony: upstream servers, or one cluster host serving the others."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.system import CHRONY_PATHS, CHRONY_SERVICES, chrony_config
from kubexm.runner.systemd import ensure_service, get_service_state, restart_service
from kubexm.step.base import register_step
from kubexm.step.os.base import CAP_SYS_TIME, WarningEnsureStep, has_capability


@register_step
@dataclass(frozen=True)
class WriteChronyConfig(WarningEnsureStep):
    """chrony syncs from ``servers``; with ``serve`` it also answers the hosts in ``allow``
    and keeps serving (stratum 10) when its upstreams are gone. The service is enabled and
    running, restarted only when the configuration changed.

    ``check`` finds it done when the file matches and the service is enabled and running.
    When chrony is not installed the step changes nothing and warns.
    Without CAP_SYS_TIME (a container) chronyd cannot run: the configuration is still written
    and enabled, and a warning says the clock is the machine's business.
    """

    name: ClassVar[str] = "os/write-chrony-config"
    title: ClassVar[str] = "Write chrony config"
    servers: tuple[str, ...]
    os_family: str
    allow: tuple[str, ...] = ()
    serve: bool = False

    async def ensure_noting(self, host: Host) -> tuple[OpResult, list[str]]:
        family = self.os_family if self.os_family in CHRONY_PATHS else "rhel"
        service = CHRONY_SERVICES[family]
        if not (await get_service_state(host, service)).exists:
            # The package task installs chrony before this step; a host where it is still
            # missing (a custom image without it) keeps its own time setup.
            return OpResult.unchanged("chrony not installed"), [
                f"chrony is not installed ({service}.service unknown); time sync not configured"
            ]
        text = chrony_config(self.servers, allow=self.allow, local=self.serve)
        written = await ensure_file(host, CHRONY_PATHS[family], text, mode=0o644)

        if not await has_capability(host, CAP_SYS_TIME):
            enabled = await ensure_service(host, service, running=False, enabled=True)
            warning = (
                "chronyd cannot run without CAP_SYS_TIME (a container); "
                "the clock comes from the machine running it"
            )
            return combine([written, enabled]), [warning]

        was_running = (await get_service_state(host, service)).running
        results = [written, await ensure_service(host, service, running=True, enabled=True)]
        if written.changed and was_running:
            results.append(await restart_service(host, service))
        return combine(results), []
