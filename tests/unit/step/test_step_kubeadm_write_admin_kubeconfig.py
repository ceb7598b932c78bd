"""WriteAdminKubeconfig: /root/.kube/config copied on the host from admin.conf."""

from __future__ import annotations

import pytest
from kubeadm_fakes import Ctx, converge

from kubexm.common.paths import ROOT_KUBECONFIG
from kubexm.errors import StepError
from kubexm.runner.host import Host
from kubexm.step.kubeadm.write_admin_kubeconfig import WriteAdminKubeconfig


async def test_write_admin_kubeconfig_copies_root_only() -> None:
    ctx = Ctx()
    ctx.conn.write("/etc/kubernetes/admin.conf", "admin\n", mode=0o600)

    await converge(WriteAdminKubeconfig(), ctx)

    assert ctx.conn.text(ROOT_KUBECONFIG) == "admin\n"
    assert ctx.conn.files[ROOT_KUBECONFIG].mode == 0o600
    assert not ctx.conn.puts, "the admin key never leaves the host"


async def test_write_admin_kubeconfig_follows_a_renewed_admin_conf() -> None:
    ctx = Ctx()
    ctx.conn.write("/etc/kubernetes/admin.conf", "admin\n", mode=0o600)
    await WriteAdminKubeconfig().run(ctx)
    ctx.conn.write("/etc/kubernetes/admin.conf", "renewed\n", mode=0o600)

    await converge(WriteAdminKubeconfig(), ctx)
    assert ctx.conn.text(ROOT_KUBECONFIG) == "renewed\n"


async def test_write_admin_kubeconfig_before_init() -> None:
    ctx = Ctx()
    planned = await WriteAdminKubeconfig().ensure(Host(ctx.conn, dry_run=True))
    assert planned.changed
    with pytest.raises(StepError, match=r"admin\.conf is missing"):
        await WriteAdminKubeconfig().run(ctx)
