"""WaitKubeApiserver: /readyz through kubectl with the local administrator kubeconfig."""

from __future__ import annotations

import pytest
from fakeconn import FAIL, OK, FakeConnection
from stepctx import Ctx

from kubexm.errors import CommandError
from kubexm.step.kubernetes.wait_kube_apiserver import WaitKubeApiserver, readyz_probe

CONF = "/etc/kubernetes/super-admin.conf"


def test_probe_asks_readyz_with_the_kubeconfig() -> None:
    probe = readyz_probe(CONF)
    assert probe.startswith(f"/usr/local/bin/kubectl --kubeconfig {CONF} --request-timeout=5s")
    assert "get --raw /readyz" in probe


async def test_check_passes_when_ready_and_run_polls() -> None:
    fake = FakeConnection("m1")
    fake.script("get --raw /readyz", OK)
    step = WaitKubeApiserver(CONF, wait_seconds=5)
    assert await step.check(Ctx(fake)) is True
    await step.run(Ctx(fake))
    assert "while :" in fake.ran[-1]


async def test_run_fails_with_a_journalctl_hint() -> None:
    fake = FakeConnection("m1")
    fake.script("get --raw /readyz", FAIL)
    step = WaitKubeApiserver(CONF, wait_seconds=1)
    assert await step.check(Ctx(fake)) is False
    with pytest.raises(CommandError) as err:
        await step.run(Ctx(fake))
    assert "journalctl -u kube-apiserver" in err.value.hint
