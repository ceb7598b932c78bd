from __future__ import annotations

import shlex

import pytest
from fakeconn import OK, FakeConnection, assert_idempotent

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.runner.host import Host
from kubexm.runner.kube import ensure_manifest, helm, kubectl

MANIFEST = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n"


def _argv(cmd: str) -> list[str]:
    return shlex.split(cmd.split(" ", 1)[1])  # drop the PATH=... prefix


async def test_kubectl_runs_with_given_kubeconfig(host: Host, fake: FakeConnection) -> None:
    fake.script("kubectl", Result(0, "node1 Ready\n", ""))
    result = await kubectl(host, ["get", "nodes", "-o", "wide"], kubeconfig="/root/a b.conf")
    assert result.stdout == "node1 Ready\n"
    assert _argv(fake.ran[0]) == [
        "kubectl",
        "--kubeconfig",
        "/root/a b.conf",
        "get",
        "nodes",
        "-o",
        "wide",
    ]
    assert fake.ran[0].startswith("PATH=$PATH:/usr/local/bin ")


async def test_kubectl_read_runs_even_in_dry_run(fake: FakeConnection) -> None:
    fake.script("kubectl", OK)
    await kubectl(Host(fake, dry_run=True), ["get", "nodes"])
    assert len(fake.ran) == 1


async def test_kubectl_mutation_passes_the_gate(fake: FakeConnection) -> None:
    fake.script("kubectl", Result(0, "node/n1 cordoned\n", ""))
    dry = Host(fake, dry_run=True)
    result = await kubectl(dry, ["cordon", "n1"], mutates=True)
    assert (result.exit_status, fake.ran) == (0, [])
    assert dry.recorder.lines() == ["[node1] would kubectl cordon n1"]
    real = await kubectl(Host(fake), ["cordon", "n1"], mutates=True)
    assert real.stdout == "node/n1 cordoned\n"


async def test_kubectl_failure_raises(host: Host, fake: FakeConnection) -> None:
    fake.script("kubectl", Result(1, "", "connection refused\n"))
    with pytest.raises(CommandError, match="connection refused"):
        await kubectl(host, ["get", "nodes"])


async def test_helm_runs_with_kubeconfig(host: Host, fake: FakeConnection) -> None:
    fake.script("helm", OK)
    await helm(host, ["upgrade", "--install", "cilium", "/tmp/cilium.tgz"], mutates=True)
    assert _argv(fake.ran[0])[:3] == ["helm", "--kubeconfig", "/etc/kubernetes/admin.conf"]


class ClusterFake:
    def __init__(self, fake: FakeConnection) -> None:
        self.objects: set[str] = set()
        fake.script("kubectl --kubeconfig /etc/kubernetes/admin.conf diff", self.diff)
        fake.script("kubectl --kubeconfig /etc/kubernetes/admin.conf apply", self.apply)

    def diff(self, cmd: str, fake: FakeConnection) -> Result:
        return OK if fake.stdins[-1] in self.objects else Result(1, "+ demo\n", "")

    def apply(self, cmd: str, fake: FakeConnection) -> Result:
        self.objects.add(str(fake.stdins[-1]))
        return OK


async def test_ensure_manifest_applies_only_on_difference(fake: FakeConnection) -> None:
    cluster = ClusterFake(fake)
    lines = await assert_idempotent(
        fake,
        lambda h: ensure_manifest(h, MANIFEST, name="namespace demo"),
        state=lambda: sorted(cluster.objects),
    )
    assert lines == ["[node1] would apply namespace demo"]
    assert cluster.objects == {MANIFEST}


async def test_ensure_manifest_raises_when_diff_fails(host: Host, fake: FakeConnection) -> None:
    fake.script("diff -f -", Result(2, "", "error: unable to connect\n"))
    with pytest.raises(CommandError) as info:
        await ensure_manifest(host, MANIFEST)
    assert "API server" in info.value.hint


async def test_ensure_manifest_applies_when_its_namespace_does_not_exist_yet(
    host: Host, fake: FakeConnection
) -> None:
    missing = 'Error from server (NotFound): namespaces "kube-flannel" not found\n'
    fake.script("diff -f -", Result(2, "", missing))
    fake.script("apply -f -", OK)

    result = await ensure_manifest(host, MANIFEST, name="flannel")

    assert result.changed
    assert any("apply -f -" in cmd for cmd in fake.ran)
