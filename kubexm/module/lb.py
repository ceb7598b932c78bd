"""The kube-apiserver load balancer, chosen by ``cluster.lb_kind``.

Per host the order is packages → proxy config → proxy running → keepalived config →
keepalived running, so keepalived only ever claims the VIP on a host whose proxy is up.
"""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from kubexm.common import types as t
from kubexm.errors import KubexmError, PlanError
from kubexm.module.base import Module, register_module
from kubexm.plan import Fragment, PlanContext
from kubexm.resource.resolve import resolve_artifacts
from kubexm.runtime.workdir import WorkDir
from kubexm.step.lb.render import AUTH_PASS_LENGTH
from kubexm.task import Task
from kubexm.task.lb import (
    ExternalLbCheckTask,
    KeepalivedDeployTask,
    KubeVipDeployTask,
    LbPackagesInstallTask,
    LbPlan,
    LbProxyDeployTask,
    cluster_of,
)

SECRET_FILE = "lb/keepalived-auth"
_ALPHABET = string.ascii_letters + string.digits


def auth_secret(work_dir: Path) -> str:
    """The cluster's VRRP password: read from ``<work_dir>/lb/keepalived-auth``, or made
    once (8 random letters/digits, keepalived's PASS limit) and kept there with mode 0600.

    Raises ``KubexmError`` when the file cannot be read or written.
    """
    path = work_dir / SECRET_FILE
    try:
        if path.exists():
            return path.read_text("utf-8").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        value = "".join(secrets.choice(_ALPHABET) for _ in range(AUTH_PASS_LENGTH))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(value + "\n")
    except OSError as exc:
        raise KubexmError(
            f"cannot keep the keepalived password in {path}: {exc.strerror}",
            hint="make the work directory writable for the user running kubexm",
        ) from exc
    return value


def lb_images(ctx: PlanContext) -> dict[str, str]:
    """``{kind: image}`` of the load-balancer images the config needs (BOM, zone, mirror)."""
    found: dict[str, str] = {}
    for image in resolve_artifacts(cluster_of(ctx)).images:
        if image.purpose.startswith("lb:"):
            found[image.purpose.removeprefix("lb:")] = image.target
    return found


def work_dir_of(ctx: PlanContext) -> WorkDir:
    """The run context's work dir; PlanError for a context without one."""
    work = getattr(ctx, "work_dir", None)
    if not isinstance(work, WorkDir):
        raise PlanError(
            "the load-balancer plan needs the cluster's work dir (VRRP password, packages)",
            "plan with the runtime's RunContext (kubexm.runtime.build)",
        )
    return work


@register_module
class LBModule(Module):
    """Deploys the load balancer ``cluster.lb_kind`` names (nothing for ``none``).

    Plans from the run context: its work dir keeps the VRRP password and holds the
    offline OS package files (``artifacts/os/<os>-<version>/<arch>/``).
    """

    name: ClassVar[str] = "lb"
    description: ClassVar[str] = "kube-apiserver load balancer"
    per_host: ClassVar[bool] = True

    def settings(self, ctx: PlanContext) -> LbPlan:
        """The shared inputs of every task; makes the VRRP password on first use."""
        cluster = cluster_of(ctx)
        kind = cluster.lb_kind
        work = work_dir_of(ctx)
        auth = auth_secret(work.root) if kind in t.LB_KINDS_ON_LB_HOSTS else ""
        images = lb_images(ctx) if kind in (t.LB_KUBE_VIP, *t.LB_KINDS_WORKER_LOCAL) else {}
        offline = cluster.spec.global_.offline_mode
        return LbPlan(kind, auth, work.artifacts, offline, images)

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        lb = self.settings(ctx)
        return [
            LbPackagesInstallTask(lb),
            LbProxyDeployTask(lb),
            KeepalivedDeployTask(lb),
            KubeVipDeployTask(lb),
            ExternalLbCheckTask(lb),
        ]

    def plan(self, ctx: PlanContext) -> Fragment | None:
        if cluster_of(ctx).lb_kind == t.LB_NONE:
            return None
        return super().plan(ctx)
