"""UploadKubePki: certificates and kubeconfigs with their modes, once."""

from __future__ import annotations

from fakeconn import FakeConnection
from stepctx import Ctx, converge

from kubexm.step.kubernetes.upload_kube_pki import PRIVATE, HostFile, UploadKubePki

FILES = (
    HostFile("/etc/kubernetes/pki/ca.crt", b"CERT"),
    HostFile("/etc/kubernetes/pki/ca.key", b"KEY", PRIVATE),
    HostFile("/root/.kube/config", b"CONF", PRIVATE),
)


async def test_upload_writes_every_file_with_its_mode() -> None:
    ctx = Ctx(FakeConnection("m1"))
    step = UploadKubePki(FILES)
    await converge(step, ctx)
    assert ctx.conn.files["/etc/kubernetes/pki/ca.key"].mode == 0o600
    assert ctx.conn.files["/etc/kubernetes/pki/ca.crt"].mode == 0o644
    assert ctx.conn.files["/root/.kube/config"].data == b"CONF"
    assert step.describe().endswith("ca.crt, ca.key, config")


async def test_an_existing_folder_keeps_its_mode() -> None:
    fake = FakeConnection("m1")
    fake.dirs["/root/.kube"] = (0o700, "root", "root")
    await converge(UploadKubePki(FILES[2:]), Ctx(fake))
    assert fake.dirs["/root/.kube"][0] == 0o700


def test_repr_never_shows_the_bytes() -> None:
    text = repr(HostFile("/etc/kubernetes/pki/ca.key", b"SECRET-KEY", PRIVATE))
    assert "SECRET" not in text and "10 bytes" in text and "600" in text
