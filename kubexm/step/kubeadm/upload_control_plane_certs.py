"""Upload the control-plane certificates for this run's master joins, under a fresh key."""

from __future__ import annotations

import posixpath
import secrets
from dataclasses import dataclass
from typing import ClassVar

from kubexm.plan import StepContext
from kubexm.runner.host import Host
from kubexm.step.base import Step, register_step
from kubexm.step.kubeadm.credentials import (
    CERT_KEY_KEY,
    KUBEADM,
    missing_nodes,
    pipeline_cache,
)
from kubexm.step.kubeadm.render import ClusterSettings, NodeSettings, render_init
from kubexm.util.shell import join, quote

UPLOAD_CONFIG = "/etc/kubernetes/kubeadm-upload-certs.yaml"


@register_step
@dataclass(frozen=True)
class UploadControlPlaneCerts(Step):
    """End state: when a master of ``masters`` is not in the cluster yet, the shared
    control-plane certificates are in the ``kubeadm-certs`` Secret, encrypted with a
    certificate key made for this run (32 random bytes) and kept in the run's pipeline
    cache for the control-plane joins.

    The key reaches kubeadm through a root-only config file (InitConfiguration with
    ``certificateKey``) that is removed right after ``kubeadm init phase upload-certs``; it
    is never in argv or a log. kubeadm deletes the Secret by itself after two hours.
    ``check`` finds nothing to do when the run holds a key already or every master is
    listed. Not resumable (a key never outlives its run). Fails with ``CommandError`` when
    kubeadm fails.
    """

    name: ClassVar[str] = "kubeadm/upload-control-plane-certs"
    title: ClassVar[str] = "Upload control-plane certificates"
    resumable: ClassVar[bool] = False
    masters: tuple[str, ...]
    cluster: ClusterSettings
    node: NodeSettings

    async def check(self, ctx: StepContext) -> bool:
        if pipeline_cache(ctx.cache).has(CERT_KEY_KEY):
            return True
        return not await missing_nodes(Host(ctx.conn, dry_run=True), self.masters)

    async def run(self, ctx: StepContext) -> None:
        host = Host(ctx.conn)
        missing = await missing_nodes(host, self.masters)
        if not missing:
            return
        key = secrets.token_hex(32)
        config = render_init(self.cluster, self.node, certificate_key=key)
        cmd = join(
            [
                KUBEADM,
                "init",
                "phase",
                "upload-certs",
                "--upload-certs",
                "--skip-certificate-key-print",
                f"--config={UPLOAD_CONFIG}",
            ]
        )

        async def upload() -> None:
            try:
                await host.run(f"mkdir -p -- {quote(posixpath.dirname(UPLOAD_CONFIG))}")
                await host.put(config.encode(), UPLOAD_CONFIG, mode=0o600)
                await host.run(cmd, timeout=120.0)
            finally:
                await host.run(f"rm -f -- {quote(UPLOAD_CONFIG)}", check=False)

        await host.change(f"upload the control-plane certificates for {len(missing)} joins", upload)
        pipeline_cache(ctx.cache).set(CERT_KEY_KEY, key)
