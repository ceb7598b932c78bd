"""Create this run's short-lived bootstrap token on the first master, when a node must join."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.plan import StepContext
from kubexm.runner.host import Host
from kubexm.step.base import Step, register_step
from kubexm.step.kubeadm.credentials import (
    KUBEADM,
    TOKEN_KEY,
    TOKEN_TTL,
    missing_nodes,
    parse_token,
    pipeline_cache,
    token_id,
)
from kubexm.util.shell import join


@register_step
@dataclass(frozen=True)
class CreateJoinToken(Step):
    """End state: when a node of ``nodes`` is not in the cluster yet, this run holds a new
    bootstrap token (``kubeadm token create --ttl 15m0s``, read from its stdout, never in
    argv or a log) in the run's pipeline cache, for the join steps of every host.

    ``check`` finds nothing to do when the run already holds a token or every node is
    listed by the cluster. Not resumable: each run decides again, since a token never
    outlives its run. Fails with ``CommandError`` when kubeadm cannot create the token and
    ``StepError`` when it printed none.
    """

    name: ClassVar[str] = "kubeadm/create-join-token"
    title: ClassVar[str] = "Create join token"
    resumable: ClassVar[bool] = False
    nodes: tuple[str, ...]

    async def check(self, ctx: StepContext) -> bool:
        if pipeline_cache(ctx.cache).has(TOKEN_KEY):
            return True
        return not await missing_nodes(Host(ctx.conn, dry_run=True), self.nodes)

    async def run(self, ctx: StepContext) -> None:
        host = Host(ctx.conn)
        missing = await missing_nodes(host, self.nodes)
        if not missing:
            return
        cmd = join(
            [
                KUBEADM,
                "token",
                "create",
                f"--ttl={TOKEN_TTL}",
                "--description=kubexm join of " + ",".join(missing),
            ]
        )
        result = await host.run(cmd, timeout=60.0)
        token = parse_token(result.stdout)
        pipeline_cache(ctx.cache).set(TOKEN_KEY, token)
        ctx.log.info("created join token %s (expires in %s)", token_id(token), TOKEN_TTL)
