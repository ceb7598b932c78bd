"""InstallKubeRbac: kubectl diff decides, apply only on a difference."""

from __future__ import annotations

import pytest
from fakeconn import FAIL, OK, FakeConnection
from stepctx import Ctx

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.step.kubernetes.install_kube_rbac import InstallKubeRbac

STEP = InstallKubeRbac("kind: ClusterRole\n", "/etc/kubernetes/super-admin.conf")


class Cluster:
    """The API server: objects applied so far; diff exits 1 until the manifest is in."""

    def __init__(self, fake: FakeConnection, up: bool = True) -> None:
        self.applied: list[str] = []
        fake.script("get --raw /readyz", OK if up else FAIL)
        fake.script("kubectl --kubeconfig /etc/kubernetes/super-admin.conf diff", self.diff)
        fake.script("kubectl --kubeconfig /etc/kubernetes/super-admin.conf apply", self.apply)
        self.fake = fake

    def diff(self, cmd: str, fake: FakeConnection) -> Result:
        return Result(0 if self.applied else 1, "", "")

    def apply(self, cmd: str, fake: FakeConnection) -> Result:
        self.applied.append(str(fake.stdins[-1]))
        return OK


async def test_applies_once_then_finds_nothing_to_do() -> None:
    fake = FakeConnection("m1")
    api = Cluster(fake)
    ctx = Ctx(fake)
    assert await STEP.check(ctx) is False
    await STEP.run(ctx)
    assert api.applied == ["kind: ClusterRole\n"]
    assert await STEP.check(ctx) is True


async def test_dry_run_before_the_api_server_is_up_reports_a_change() -> None:
    fake = FakeConnection("m1")
    Cluster(fake, up=False)
    assert await STEP.check(Ctx(fake)) is False
    assert not [c for c in fake.ran if " diff " in c]


async def test_an_unreachable_api_server_fails_the_run() -> None:
    fake = FakeConnection("m1")
    fake.script("diff -f -", Result(2, "", "connection refused"))
    fake.script("get --raw /readyz", OK)
    with pytest.raises(CommandError):
        await STEP.run(Ctx(fake))
