"""Copy kubeadm's admin kubeconfig to ``/root/.kube/config`` on a master."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import ClassVar

from kubexm.common.paths import ADMIN_CONF, ROOT_KUBECONFIG
from kubexm.errors import StepError
from kubexm.runner.files import file_exists, get_file_state
from kubexm.runner.host import Host, OpResult
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.util.shell import quote


@register_step
@dataclass(frozen=True)
class WriteAdminKubeconfig(EnsureStep):
    """End state: ``/root/.kube/config`` holds the same bytes as this master's
    ``/etc/kubernetes/admin.conf``, mode 0600, so kubectl works for root. Unchanged when they
    match. In a dry run before kubeadm made ``admin.conf`` it only reports the copy; for real,
    a missing ``admin.conf`` fails with ``StepError``.
    """

    name: ClassVar[str] = "kubeadm/write-admin-kubeconfig"
    title: ClassVar[str] = "Write admin kubeconfig"
    path: str = ROOT_KUBECONFIG

    async def ensure(self, host: Host) -> OpResult:
        if not await file_exists(host, ADMIN_CONF):
            if host.dry_run:
                return OpResult(True, f"would copy {ADMIN_CONF} to {self.path}")
            raise StepError(
                f"[{host.name}] {ADMIN_CONF} is missing",
                hint="kubeadm init or join did not finish on this master; run kubexm again",
            )
        src, dst = await get_file_state(host, ADMIN_CONF), await get_file_state(host, self.path)
        if dst.kind == "file" and dst.sha256 == src.sha256 and dst.mode == 0o600:
            return OpResult.unchanged(f"{self.path} up to date")
        # Copied on the host: the admin key never travels through the control machine.
        target = quote(self.path)
        cmd = (
            f"mkdir -p -- {quote(posixpath.dirname(self.path))} && "
            f"cp -- {quote(ADMIN_CONF)} {target} && chmod 600 -- {target}"
        )
        return await host.execute(f"copy {ADMIN_CONF} to {self.path}", cmd)
