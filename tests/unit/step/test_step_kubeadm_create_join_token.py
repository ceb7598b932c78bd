"""CreateJoinToken: a per-run token in the shared cache, only when a node must join."""

from __future__ import annotations

from kubeadm_fakes import TOKEN, Ctx, FakeCluster, converge, on_host

from kubexm.step.kubeadm.create_join_token import CreateJoinToken
from kubexm.step.kubeadm.credentials import TOKEN_KEY


def first_master(cluster: FakeCluster) -> Ctx:
    ctx = Ctx()
    cluster.install(ctx.conn)
    ctx.conn.write("/etc/kubernetes/admin.conf", "x\n")
    return ctx


async def test_create_join_token_shares_it_with_every_host_of_the_run() -> None:
    cluster = FakeCluster(nodes={"m1"}, up=True)
    ctx = first_master(cluster)

    await converge(CreateJoinToken(("m2", "w1")), ctx)

    assert on_host("w1", ctx.pipeline).cache.get(TOKEN_KEY) == TOKEN
    create = [c for c in ctx.conn.ran if "token create" in c]
    assert len(create) == 1
    assert "--ttl=15m0s" in create[0]
    assert TOKEN not in " ".join(ctx.conn.ran), "the token is never in argv"


async def test_create_join_token_does_nothing_when_every_node_joined() -> None:
    cluster = FakeCluster(nodes={"m1", "m2", "w1"}, up=True)
    ctx = first_master(cluster)

    assert await CreateJoinToken(("m2", "w1")).check(ctx) is True
    await CreateJoinToken(("m2", "w1")).run(ctx)
    assert cluster.tokens == []
    assert not ctx.pipeline.has(TOKEN_KEY)


def test_create_join_token_is_decided_again_on_every_run() -> None:
    assert CreateJoinToken.resumable is False
