"""InstallKubeBinaries: release files land in /usr/local/bin 0755 once."""

from __future__ import annotations

from pathlib import Path

from fakeconn import FakeConnection
from stepctx import Ctx, converge

from kubexm.runner.host import Host
from kubexm.step.kubernetes.install_kube_binaries import (
    InstallKubeBinaries,
    KubeBinary,
    ensure_binary,
    local_sha256,
)


def binaries(tmp_path: Path) -> tuple[KubeBinary, ...]:
    found = []
    for name in ("kubelet", "kubectl"):
        path = tmp_path / name
        path.write_bytes(f"{name} binary".encode())
        found.append(KubeBinary(name, path))
    return tuple(found)


async def test_installs_each_binary_once_with_mode_0755(tmp_path: Path) -> None:
    ctx = Ctx(FakeConnection("n1"))
    step = InstallKubeBinaries(binaries(tmp_path), "1.36.4")
    await converge(step, ctx)
    assert ctx.conn.files["/usr/local/bin/kubelet"].data == b"kubelet binary"
    assert ctx.conn.files["/usr/local/bin/kubectl"].mode == 0o755
    puts = len(ctx.conn.puts)
    await step.run(ctx)
    assert len(ctx.conn.puts) == puts
    assert "kubelet, kubectl" in step.describe()


async def test_a_changed_binary_or_mode_is_replaced(tmp_path: Path) -> None:
    fake = FakeConnection("n1")
    local = tmp_path / "kubectl"
    local.write_bytes(b"new")
    fake.write("/usr/local/bin/kubectl", b"old", mode=0o755)
    assert (await ensure_binary(Host(fake), local, "/usr/local/bin/kubectl")).changed
    fake.files["/usr/local/bin/kubectl"].mode = 0o644
    result = await ensure_binary(Host(fake), local, "/usr/local/bin/kubectl")
    assert result.changed and fake.files["/usr/local/bin/kubectl"].mode == 0o755
    assert not (await ensure_binary(Host(fake), local, "/usr/local/bin/kubectl")).changed


async def test_missing_bin_dir_is_created(tmp_path: Path) -> None:
    fake = FakeConnection("n1")
    step = InstallKubeBinaries(binaries(tmp_path)[:1], "1.36.4", bin_dir="/opt/kube/bin")
    await converge(step, Ctx(fake))
    assert "/opt/kube/bin/kubelet" in fake.files


def test_local_sha256_follows_the_content(tmp_path: Path) -> None:
    path = tmp_path / "kubectl"
    path.write_bytes(b"one")
    first = local_sha256(path)
    assert local_sha256(path) == first
    path.write_bytes(b"other content")
    assert local_sha256(path) != first
