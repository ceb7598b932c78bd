"""Post-check: the API server answers /readyz through the control-plane endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.errors import StepError
from kubexm.plan import StepContext
from kubexm.runner.host import Host
from kubexm.runner.kube import ADMIN_KUBECONFIG
from kubexm.step.base import Step, register_step
from kubexm.util.shell import quote

_PROBE = f"PATH=$PATH:/usr/local/bin kubectl --kubeconfig {quote(ADMIN_KUBECONFIG)}"


@register_step
@dataclass(frozen=True)
class CheckApiReady(Step):
    """Read-only. Passes when ``kubectl get --raw /readyz`` with the admin kubeconfig
    (whose server is ``endpoint``, the control-plane domain and port, so the request goes
    through the load balancer or VIP) answers ``ok``. ``run`` fails with ``StepError``
    carrying kubectl's answer. Never skipped on resume.
    """

    name: ClassVar[str] = "cluster/check-api-ready"
    title: ClassVar[str] = "Check the API endpoint is ready"
    resumable: ClassVar[bool] = False
    endpoint: str

    def describe(self) -> str:
        return f"{self.title} ({self.endpoint})"

    async def _answer(self, ctx: StepContext) -> tuple[bool, str]:
        cmd = f"{_PROBE} --server {quote(self.endpoint)} get --raw /readyz"
        result = await Host(ctx.conn).run(cmd, check=False, timeout=60.0)
        text = (result.stdout.strip() or result.stderr.strip())[-400:]
        return result.exit_status == 0 and result.stdout.strip() == "ok", text

    async def check(self, ctx: StepContext) -> bool:
        ready, _ = await self._answer(ctx)
        return ready

    async def run(self, ctx: StepContext) -> None:
        ready, text = await self._answer(ctx)
        if not ready:
            raise StepError(
                f"{self.endpoint}/readyz did not answer ok: {text or 'no output'}",
                "check the load balancer and 'kubectl get --raw /readyz?verbose' on a master",
            )
