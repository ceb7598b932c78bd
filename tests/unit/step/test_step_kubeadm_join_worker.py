"""JoinWorker: kubeadm join --config once; CA pinned, token never in argv."""

from __future__ import annotations

from kubeadm_fakes import TOKEN, WORKER, Ctx, FakeCluster, converge, settings

from kubexm.cache import Scope, ScopedCache
from kubexm.connector.base import Result
from kubexm.step.kubeadm.credentials import TOKEN_KEY
from kubexm.step.kubeadm.join_worker import JoinWorker
from kubexm.step.kubeadm.joining import JOIN_CONFIG
from kubexm.util.yamlio import load_yaml_all

PIN = ("sha256:" + "ab" * 32,)


def worker() -> tuple[Ctx, FakeCluster]:
    pipeline = ScopedCache(Scope.PIPELINE)
    pipeline.set(TOKEN_KEY, TOKEN)
    ctx = Ctx(pipeline=pipeline)
    ctx.conn.host = "w1"
    return ctx, FakeCluster().install(ctx.conn)


async def test_join_worker_joins_once_with_a_pinned_ca() -> None:
    ctx, cluster = worker()
    step = JoinWorker(settings(), WORKER, "10.0.0.11:6443", PIN)

    await converge(step, ctx)

    assert [c for c in ctx.conn.ran if " join " in c] == [
        f"/usr/local/bin/kubeadm join --config={JOIN_CONFIG}"
    ]
    join, kubelet = load_yaml_all(cluster.configs[0])
    boot = join["discovery"]["bootstrapToken"]
    assert boot["caCertHashes"] == list(PIN)
    assert boot["token"] == TOKEN
    assert "unsafeSkipCAVerification" not in cluster.configs[0]
    assert "controlPlane" not in join
    assert kubelet["kind"] == "KubeletConfiguration"
    assert TOKEN not in " ".join(ctx.conn.ran)
    assert JOIN_CONFIG not in ctx.conn.files


async def test_join_worker_second_run_changes_nothing() -> None:
    ctx, cluster = worker()
    step = JoinWorker(settings(), WORKER, "10.0.0.11:6443", PIN)
    await step.run(ctx)

    assert await step.check(ctx) is True
    assert cluster.joins == 1


async def test_join_worker_check_finds_an_already_joined_node() -> None:
    ctx, _ = worker()
    ctx.conn.write("/etc/kubernetes/kubelet.conf", "x\n")
    ctx.conn.script("kubeadm", Result(99, "", "must not run"))
    assert await JoinWorker(settings(), WORKER, "a:6443", PIN).check(ctx) is True
