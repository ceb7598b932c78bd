"""What the OS preparation steps share: warnings for limits of the host's environment.

Container hosts (systemd-nspawn, LXC, docker) share the kernel of their machine: they cannot
load modules, most non-``net.*`` sysctls are read-only and they cannot set the clock. A real
operator's container host meets the same limits, so the OS steps report them as warnings and
leave them alone instead of failing or retrying them on every run.
"""

from __future__ import annotations

from abc import abstractmethod

from kubexm.plan import StepContext
from kubexm.runner.host import Host, OpResult
from kubexm.step.ensure import EnsureStep

# Bit numbers of the capabilities the steps need (linux/capability.h).
CAP_SYS_MODULE = 16
CAP_SYS_TIME = 25

_CAPS_PROBE = "awk '/^CapEff:/ {print $2}' /proc/self/status"


class WarningEnsureStep(EnsureStep):
    """An ``EnsureStep`` whose ``ensure`` also returns warnings (environmental limits).

    ``check`` stays a dry run of the same operations; ``run`` logs the outcome and each
    warning at WARNING level through the step's logger.
    """

    @abstractmethod
    async def ensure_noting(self, host: Host) -> tuple[OpResult, list[str]]:
        """Bring the host to the end state; return what changed and what could not be done."""

    async def ensure(self, host: Host) -> OpResult:
        result, _ = await self.ensure_noting(host)
        return result

    async def run(self, ctx: StepContext) -> None:
        """Run ``ensure_noting`` for real; log the change and every warning."""
        result, warnings = await self.ensure_noting(Host(ctx.conn))
        if result.changed and result.detail:
            ctx.log.info("%s", result.detail)
        for warning in warnings:
            ctx.log.warning("%s", warning)


def parse_capabilities(text: str) -> int:
    """The effective capability mask from the ``CapEff`` hex value; 0 when unreadable."""
    try:
        return int(text.strip() or "0", 16)
    except ValueError:
        return 0


async def has_capability(host: Host, bit: int) -> bool:
    """True when commands on the host (as root through sudo) hold capability ``bit``."""
    out = await host.run(_CAPS_PROBE, check=False)
    return bool(parse_capabilities(out.stdout) >> bit & 1)


async def in_container(host: Host) -> bool:
    """True when the host is a container (``systemd-detect-virt --container``)."""
    return await host.test("systemd-detect-virt --container --quiet")
