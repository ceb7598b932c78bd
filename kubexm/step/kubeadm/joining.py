"""What the control-plane and worker joins share: ``kubeadm join --config`` once per node."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import ClassVar

from kubexm.plan import StepContext
from kubexm.runner.host import Host
from kubexm.step.base import Step
from kubexm.step.kubeadm.credentials import (
    CERT_KEY_KEY,
    KUBEADM,
    KUBELET_CONF,
    TOKEN_KEY,
    missing_credentials,
    pipeline_cache,
)
from kubexm.step.kubeadm.render import ClusterSettings, JoinSecrets, NodeSettings, render_join
from kubexm.util.shell import join, quote

JOIN_CONFIG = "/etc/kubernetes/kubeadm-join.yaml"


@dataclass(frozen=True)
class KubeadmJoin(Step):
    """Join this host with ``kubeadm join --config`` unless ``kubelet.conf`` exists.

    The config file holds the run's token (and, for a master, the certificate key): it is
    written root-only right before the join and removed right after, whatever happened.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    timeout: ClassVar[float] = 900.0
    cluster: ClusterSettings
    node: NodeSettings
    api_server: str
    ca_hashes: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.title} through {self.api_server}"

    async def check(self, ctx: StepContext) -> bool:
        return await Host(ctx.conn, dry_run=True).test(f"test -f {KUBELET_CONF}")

    def secrets(self, ctx: StepContext) -> JoinSecrets:
        """The run's credentials; ``StepError`` when the run made none for this host."""
        cache = pipeline_cache(ctx.cache)
        token = cache.get(TOKEN_KEY)
        if not isinstance(token, str):
            raise missing_credentials(ctx.host, "join token")
        if not self.node.control_plane:
            return JoinSecrets(token)
        key = cache.get(CERT_KEY_KEY)
        if not isinstance(key, str):
            raise missing_credentials(ctx.host, "certificate key")
        return JoinSecrets(token, key)

    async def run(self, ctx: StepContext) -> None:
        host = Host(ctx.conn)
        config = render_join(
            self.cluster, self.node, self.api_server, self.ca_hashes, self.secrets(ctx)
        )
        cmd = join([KUBEADM, "join", f"--config={JOIN_CONFIG}"])

        async def join_node() -> None:
            try:
                await host.run(f"mkdir -p -- {quote(posixpath.dirname(JOIN_CONFIG))}")
                await host.put(config.encode(), JOIN_CONFIG, mode=0o600)
                await host.run(cmd, timeout=self.timeout - 60.0)
            finally:
                await host.run(f"rm -f -- {quote(JOIN_CONFIG)}", check=False)

        await host.change(f"join {ctx.host} with kubeadm", join_node)
