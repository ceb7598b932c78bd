"""UploadControlPlaneCerts: a fresh key per run, through a config file that is removed."""

from __future__ import annotations

import pytest
from kubeadm_fakes import MASTER, Ctx, FakeCluster, converge, on_host, settings

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.step.kubeadm.credentials import CERT_KEY_KEY
from kubexm.step.kubeadm.upload_control_plane_certs import (
    UPLOAD_CONFIG,
    UploadControlPlaneCerts,
)


def first_master(cluster: FakeCluster) -> Ctx:
    ctx = Ctx()
    cluster.install(ctx.conn)
    ctx.conn.write("/etc/kubernetes/admin.conf", "x\n")
    return ctx


async def test_upload_certs_keeps_the_key_for_the_run_only() -> None:
    cluster = FakeCluster(nodes={"m1"}, up=True)
    ctx = first_master(cluster)
    step = UploadControlPlaneCerts(("m2",), settings(), MASTER)

    await converge(step, ctx)

    key = on_host("m2", ctx.pipeline).cache.get(CERT_KEY_KEY)
    assert isinstance(key, str) and len(key) == 64
    assert f"certificateKey: {key}" in cluster.configs[0]
    assert UPLOAD_CONFIG not in ctx.conn.files, "the file with the key is gone"
    assert key not in " ".join(ctx.conn.ran)
    upload = next(c for c in ctx.conn.ran if "upload-certs" in c)
    assert "--skip-certificate-key-print" in upload


async def test_upload_certs_removes_the_key_file_when_kubeadm_fails() -> None:
    cluster = FakeCluster(nodes={"m1"}, up=True)
    ctx = first_master(cluster)
    ctx.conn.script("phase upload-certs", Result(1, "", "error uploading certs\n"))
    step = UploadControlPlaneCerts(("m2",), settings(), MASTER)

    with pytest.raises(CommandError):
        await step.run(ctx)
    assert UPLOAD_CONFIG not in ctx.conn.files
    assert not ctx.pipeline.has(CERT_KEY_KEY)


async def test_upload_certs_does_nothing_when_every_master_joined() -> None:
    cluster = FakeCluster(nodes={"m1", "m2"}, up=True)
    ctx = first_master(cluster)
    step = UploadControlPlaneCerts(("m2",), settings(), MASTER)

    assert await step.check(ctx) is True
    await step.run(ctx)
    assert cluster.configs == []
