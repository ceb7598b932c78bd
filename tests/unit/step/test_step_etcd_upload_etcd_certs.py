"""UploadEtcdCerts: the member's certificates land once, keys private."""

from __future__ import annotations

from etcd_step_helpers import Ctx, converge

from kubexm.step.etcd.upload_etcd_certs import CertFile, UploadEtcdCerts

FILES = (
    CertFile("/etc/kubernetes/pki/etcd/ca.crt", b"CA"),
    CertFile("/etc/kubernetes/pki/etcd/server.crt", b"CRT"),
    CertFile("/etc/kubernetes/pki/etcd/server.key", b"KEY"),
)


async def test_upload_etcd_certs_writes_keys_0600_and_then_changes_nothing() -> None:
    ctx = Ctx()
    step = UploadEtcdCerts(FILES)

    await converge(step, ctx)

    files = ctx.conn.files
    assert files["/etc/kubernetes/pki/etcd/server.key"].mode == 0o600
    assert files["/etc/kubernetes/pki/etcd/server.crt"].mode == 0o644
    assert files["/etc/kubernetes/pki/etcd/ca.crt"].data == b"CA"
    puts = len(ctx.conn.puts)
    await step.run(ctx)
    assert len(ctx.conn.puts) == puts, "a second run transferred again"


async def test_upload_etcd_certs_replaces_a_renewed_certificate() -> None:
    ctx = Ctx()
    await UploadEtcdCerts(FILES).run(ctx)
    renewed = UploadEtcdCerts((*FILES[:1], CertFile(FILES[1].path, b"NEW"), FILES[2]))

    assert await renewed.check(ctx) is False
    await renewed.run(ctx)
    assert ctx.conn.files[FILES[1].path].data == b"NEW"


def test_describe_lists_file_names_not_contents() -> None:
    text = UploadEtcdCerts(FILES).describe()
    assert "server.key" in text
    assert "KEY" not in text.replace("server.key", "")
