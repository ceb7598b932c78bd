"""Delete this run's bootstrap token once every node joined."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.plan import StepContext
from kubexm.runner.host import Host
from kubexm.step.base import Step, register_step
from kubexm.step.kubeadm.credentials import (
    CERT_KEY_KEY,
    KUBEADM,
    TOKEN_KEY,
    pipeline_cache,
    token_id,
)
from kubexm.util.shell import join


@register_step
@dataclass(frozen=True)
class RemoveJoinToken(Step):
    """End state: the bootstrap token this run made is deleted from the cluster
    (``kubeadm token delete <id>``: only the public id is on the command line) and the run
    forgets the token and the certificate key.

    ``check`` finds nothing to do when the run made no token. A token of a run that failed
    before this step expires by itself (15 minutes). Not resumable. Fails with
    ``CommandError`` when kubeadm cannot delete it.
    """

    name: ClassVar[str] = "kubeadm/remove-join-token"
    title: ClassVar[str] = "Remove join token"
    resumable: ClassVar[bool] = False

    async def check(self, ctx: StepContext) -> bool:
        return not pipeline_cache(ctx.cache).has(TOKEN_KEY)

    async def run(self, ctx: StepContext) -> None:
        cache = pipeline_cache(ctx.cache)
        token = cache.get(TOKEN_KEY)
        if isinstance(token, str):
            ident = token_id(token)
            cmd = join([KUBEADM, "token", "delete", ident])
            await Host(ctx.conn).execute(f"delete bootstrap token {ident}", cmd, timeout=60.0)
        cache.delete(TOKEN_KEY)
        cache.delete(CERT_KEY_KEY)
