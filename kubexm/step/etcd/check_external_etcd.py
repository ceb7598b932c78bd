"""Check that an external etcd cluster answers with the configured client certificates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.errors import StepError
from kubexm.plan import StepContext
from kubexm.runner.host import Host
from kubexm.step.base import Step, register_step
from kubexm.util.shell import join


@register_step
@dataclass(frozen=True)
class CheckExternalEtcd(Step):
    """Read-only preflight: every endpoint answers ``/health`` with ``"health":"true"`` when
    asked from this host with ``ca_file``/``cert_file``/``key_file`` (paths on this host).

    ``check`` passes (the node is unchanged) when all answer; otherwise ``run`` asks again and
    fails with a ``StepError`` naming each endpoint and what curl said. Changes nothing.
    """

    name: ClassVar[str] = "etcd/check-external-etcd"
    title: ClassVar[str] = "Check external etcd"
    endpoints: tuple[str, ...]
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    def curl(self, endpoint: str) -> str:
        """The curl command asking ``endpoint``'s ``/health`` (5 s at most)."""
        argv = ["curl", "-sS", "--max-time", "5"]
        for flag, value in (
            ("--cacert", self.ca_file),
            ("--cert", self.cert_file),
            ("--key", self.key_file),
        ):
            if value:
                argv += [flag, value]
        return join([*argv, f"{endpoint.rstrip('/')}/health"])

    async def failures(self, host: Host) -> list[str]:
        """``endpoint: reason`` for each endpoint that is not healthy."""
        failed = []
        for endpoint in self.endpoints:
            result = await host.run(self.curl(endpoint), check=False, timeout=30.0)
            if result.ok and '"health":"true"' in result.stdout.replace(" ", ""):
                continue
            said = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no answer"]
            failed.append(f"{endpoint}: {said[0]}")
        return failed

    async def check(self, ctx: StepContext) -> bool:
        return not await self.failures(Host(ctx.conn))

    async def run(self, ctx: StepContext) -> None:
        failed = await self.failures(Host(ctx.conn))
        if failed:
            raise StepError(
                f"[{ctx.host}] external etcd is not healthy: " + "; ".join(failed),
                "check spec.etcd.external endpoints and that caFile/certFile/keyFile exist on "
                "this host and belong to that etcd cluster",
            )
        ctx.log.info("external etcd healthy: %s", ", ".join(self.endpoints))
