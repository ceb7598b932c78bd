"""InstallCoredns: the manifest kept on the first master, applied once; then a no-op."""

from __future__ import annotations

import pytest
from cluster_step_helpers import FakeApi
from fakeconn import FakeConnection
from stepctx import Ctx, converge

from kubexm.errors import CommandError
from kubexm.step.dns.install_coredns import PATH, InstallCoredns

MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: kube-system}\n"


async def test_applies_once_and_then_changes_nothing() -> None:
    fake, api = FakeConnection("m1"), FakeApi()
    api.install(fake)
    step = InstallCoredns(MANIFEST)

    await converge(step, Ctx(fake, host="m1"))

    assert PATH.endswith("/coredns.yaml")
    assert fake.text(PATH) == MANIFEST
    assert api.applied == [MANIFEST]
    await step.run(Ctx(fake, host="m1"))
    assert api.applied == [MANIFEST]


async def test_check_is_a_dry_run_that_applies_nothing() -> None:
    fake, api = FakeConnection("m1"), FakeApi()
    api.install(fake)

    assert await InstallCoredns(MANIFEST).check(Ctx(fake, host="m1")) is False
    assert api.applied == []
    assert PATH not in fake.files


async def test_an_unreachable_api_server_is_a_command_error() -> None:
    fake, api = FakeConnection("m1"), FakeApi(broken=True)
    api.install(fake)

    with pytest.raises(CommandError, match="kubectl diff"):
        await InstallCoredns(MANIFEST).run(Ctx(fake, host="m1"))
