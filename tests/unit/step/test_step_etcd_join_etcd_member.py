"""JoinEtcdMember: bootstrap when nobody answers, member add when the cluster runs."""

from __future__ import annotations

import pytest
from etcd_step_helpers import Ctx, FakeEtcd, converge

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.step.etcd import join_etcd_member
from kubexm.step.etcd.join_etcd_member import JoinEtcdMember, etcdctl, initial_cluster
from kubexm.step.etcd.render import JOIN_ENV_FILE

PEERS = ("https://10.0.0.1:2379", "https://10.0.0.2:2379")
STEP = JoinEtcdMember("e4", "https://10.0.0.4:2380", PEERS, "/var/lib/etcd")
RUNNING = [
    {"ID": 1, "name": "e1", "peerURLs": ["https://10.0.0.1:2380"]},
    {"ID": 2, "name": "e2", "peerURLs": ["https://10.0.0.2:2380"]},
]


async def test_join_adds_a_new_member_and_writes_existing_state() -> None:
    ctx = Ctx()
    etcd = FakeEtcd([dict(m) for m in RUNNING]).install(ctx.conn)

    await converge(STEP, ctx)

    assert etcd.adds == ["e4"]
    env = ctx.conn.text(JOIN_ENV_FILE)
    assert "ETCD_INITIAL_CLUSTER_STATE=existing" in env
    assert "e4=https://10.0.0.4:2380" in env and "e1=https://10.0.0.1:2380" in env


async def test_join_asks_again_while_etcd_calls_the_cluster_unhealthy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(join_etcd_member, "ADD_RETRY_DELAY", 0.0)
    ctx = Ctx()
    etcd = FakeEtcd([dict(m) for m in RUNNING], unhealthy=2).install(ctx.conn)

    await converge(STEP, ctx)
    assert etcd.adds == ["e4"]
    assert sum(" member add " in c for c in ctx.conn.ran) == 3


async def test_join_gives_up_on_an_unhealthy_cluster_and_never_retries_other_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(join_etcd_member, "ADD_RETRY_DELAY", 0.0)
    ctx = Ctx()
    FakeEtcd([dict(m) for m in RUNNING], unhealthy=99).install(ctx.conn)
    with pytest.raises(CommandError, match="unhealthy cluster"):
        await STEP.run(ctx)
    assert sum(" member add " in c for c in ctx.conn.ran) == join_etcd_member.ADD_ATTEMPTS

    other = Ctx()
    other.conn.script(" member add ", lambda cmd, fake: Result(1, "", "Error: permission denied\n"))
    FakeEtcd([dict(m) for m in RUNNING]).install(other.conn)  # the script above answers first
    with pytest.raises(CommandError, match="permission denied"):
        await STEP.run(other)
    assert sum(" member add " in c for c in other.conn.ran) == 1


async def test_join_is_unchanged_when_no_member_answers() -> None:
    ctx = Ctx()
    etcd = FakeEtcd(up=False).install(ctx.conn)

    assert await STEP.check(ctx) is True
    assert etcd.adds == []
    assert JOIN_ENV_FILE not in ctx.conn.files


async def test_join_is_unchanged_when_the_data_dir_holds_a_member() -> None:
    ctx = Ctx()
    ctx.conn.call(["mkdir", "-p", "/var/lib/etcd/member"])

    assert await STEP.check(ctx) is True
    assert ctx.conn.ran == ["test -d /var/lib/etcd/member"]


async def test_join_of_an_added_but_unstarted_member_only_writes_the_env_file() -> None:
    ctx = Ctx()
    unstarted = {"ID": 9, "peerURLs": ["https://10.0.0.4:2380"]}
    etcd = FakeEtcd([*RUNNING, unstarted]).install(ctx.conn)

    await converge(STEP, ctx)
    assert etcd.adds == []
    assert "e4=https://10.0.0.4:2380" in ctx.conn.text(JOIN_ENV_FILE)


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        (RUNNING, "e1=https://10.0.0.1:2380,e2=https://10.0.0.2:2380"),
        ([{"ID": 3, "peerURLs": ["https://10.0.0.4:2380"]}], "e4=https://10.0.0.4:2380"),
        ([{"ID": 3, "peerURLs": ["https://10.0.0.9:2380"]}], ""),
        ([{"ID": 3, "name": "x", "peerURLs": "bad"}], ""),
    ],
    ids=["named", "unstarted-self", "unstarted-other", "malformed"],
)
def test_initial_cluster_from_member_list(members: list[dict[str, object]], expected: str) -> None:
    assert initial_cluster(members, "e4", "https://10.0.0.4:2380") == expected


def test_etcdctl_uses_the_client_certificate_and_quotes_endpoints() -> None:
    cmd = etcdctl(PEERS, "member", "list")
    assert cmd.startswith("ETCDCTL_API=3 /usr/local/bin/etcdctl ")
    assert "--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt" in cmd
    assert f"--endpoints={','.join(PEERS)}" in cmd
