"""RemoveJoinToken: delete the run's token by its public id, forget the credentials."""

from __future__ import annotations

from kubeadm_fakes import TOKEN, Ctx, FakeCluster, converge

from kubexm.step.kubeadm.credentials import CERT_KEY_KEY, TOKEN_KEY
from kubexm.step.kubeadm.remove_join_token import RemoveJoinToken


async def test_remove_join_token_deletes_by_id_only() -> None:
    ctx = Ctx()
    cluster = FakeCluster(up=True).install(ctx.conn)
    ctx.pipeline.set(TOKEN_KEY, TOKEN)
    ctx.pipeline.set(CERT_KEY_KEY, "f" * 64)

    await converge(RemoveJoinToken(), ctx)

    assert cluster.deleted == ["k3x9ab"]
    assert TOKEN not in " ".join(ctx.conn.ran)
    assert not ctx.pipeline.has(CERT_KEY_KEY)


async def test_remove_join_token_has_nothing_to_do_without_a_token() -> None:
    ctx = Ctx()
    cluster = FakeCluster(up=True).install(ctx.conn)

    assert await RemoveJoinToken().check(ctx) is True
    await RemoveJoinToken().run(ctx)
    assert cluster.deleted == []
