"""UploadKubeadmPki: CA pairs, sa keys and etcd client files under /etc/kubernetes/pki."""

from __future__ import annotations

from kubeadm_fakes import Ctx, converge

from kubexm.step.etcd.upload_etcd_certs import CertFile
from kubexm.step.kubeadm.upload_kubeadm_pki import UploadKubeadmPki

FILES = (
    CertFile("/etc/kubernetes/pki/ca.crt", b"CA"),
    CertFile("/etc/kubernetes/pki/ca.key", b"CAKEY"),
    CertFile("/etc/kubernetes/pki/sa.pub", b"PUB"),
    CertFile("/etc/kubernetes/pki/etcd/ca.crt", b"ETCDCA"),
)


async def test_upload_kubeadm_pki_writes_keys_root_only() -> None:
    ctx = Ctx()

    await converge(UploadKubeadmPki(FILES), ctx)

    assert ctx.conn.files["/etc/kubernetes/pki/ca.key"].mode == 0o600
    assert ctx.conn.files["/etc/kubernetes/pki/ca.crt"].mode == 0o644
    assert ctx.conn.text("/etc/kubernetes/pki/etcd/ca.crt") == "ETCDCA"


async def test_upload_kubeadm_pki_second_run_changes_nothing() -> None:
    ctx = Ctx()
    await UploadKubeadmPki(FILES).run(ctx)
    puts = len(ctx.conn.puts)

    assert await UploadKubeadmPki(FILES).check(ctx) is True
    await UploadKubeadmPki(FILES).run(ctx)
    assert len(ctx.conn.puts) == puts


def test_upload_kubeadm_pki_describe_names_the_files() -> None:
    assert "etcd/ca.crt" in UploadKubeadmPki(FILES).describe()
