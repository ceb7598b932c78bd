"""run_hooks: each command once, in order, with the admin kubeconfig; dry-run runs none."""

from __future__ import annotations

import pytest
from fakeconn import OK, FakeConnection

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.runner.host import Host
from kubexm.step.addons.hooks import run_hooks


async def test_runs_every_command_with_the_admin_kubeconfig() -> None:
    fake = FakeConnection("m1")
    fake.script("export KUBECONFIG=", OK)

    result = await run_hooks(Host(fake), "pre-install", ["kubectl label ns a x=y", "echo done"])

    assert result.changed
    assert [c.rsplit("; ", 1)[1] for c in fake.ran] == ["kubectl label ns a x=y", "echo done"]
    assert all("KUBECONFIG=/etc/kubernetes/admin.conf" in c for c in fake.ran)


async def test_dry_run_and_no_commands_run_nothing() -> None:
    fake = FakeConnection("m1")

    assert (await run_hooks(Host(fake, dry_run=True), "post-install", ["x"])).changed
    assert not (await run_hooks(Host(fake), "post-install", [])).changed
    assert fake.ran == []


async def test_a_failing_hook_stops_with_a_command_error() -> None:
    fake = FakeConnection("m1")
    fake.script("export KUBECONFIG=", Result(3, "", "boom"))

    with pytest.raises(CommandError):
        await run_hooks(Host(fake), "pre-install", ["false", "never"])
    assert len(fake.ran) == 1
