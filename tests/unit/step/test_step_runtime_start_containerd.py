from __future__ import annotations

import shlex

import pytest
from fakeconn import FakeConnection, FakeSystemd, Rule, Unit
from runtime_stepkit import Ctx

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.step.runtime.start_containerd import STAMP, StartContainerd


def _host(active: bool, stamp: str | None) -> tuple[Ctx, FakeSystemd]:
    fake = FakeConnection()
    fake.call(["mkdir", "-p", "/var/lib/kubexm"])
    systemd = FakeSystemd({"containerd.service": Unit(active, "enabled" if active else "disabled")})
    systemd.install(fake)
    if stamp is not None:
        fake.write(STAMP, stamp + "\n")

    def act(cmd: str, f: FakeConnection) -> Result:
        first = cmd.split(" && mkdir", 1)[0]
        result = f._shell(first)
        if result.ok:
            f.write(STAMP, shlex.split(cmd.rsplit("&& ", 1)[1])[-3] + "\n")
        return result

    fake.script(r"^systemctl (enable|restart) containerd\.service", act, regex=True)
    return Ctx(fake), systemd


@pytest.mark.parametrize(
    ("active", "stamp", "verb"),
    [(False, None, "start"), (True, "old", "restart"), (False, "d1", "start")],
    ids=["stopped", "settings-changed", "stopped-same-settings"],
)
async def test_start_acts_then_a_second_run_changes_nothing(
    active: bool, stamp: str | None, verb: str
) -> None:
    ctx, systemd = _host(active, stamp)
    step = StartContainerd("d1")

    assert await step.check(ctx) is False
    await step.run(ctx)

    assert any(f"systemctl {verb} containerd.service" in c for c in ctx.conn.ran)
    assert systemd.units["containerd.service"].active
    assert ctx.conn.text(STAMP) == "d1\n"
    assert await step.check(ctx) is True


async def test_a_running_containerd_with_the_same_digest_is_not_restarted() -> None:
    ctx, _ = _host(True, "d1")
    await StartContainerd("d1").run(ctx)
    assert not any("restart" in c for c in ctx.conn.ran)


async def test_a_failed_start_points_at_journalctl() -> None:
    ctx, _ = _host(False, None)
    ctx.conn.rules.insert(0, _failing())
    with pytest.raises(CommandError) as caught:
        await StartContainerd("d1").run(ctx)
    assert "journalctl -u containerd.service" in caught.value.hint


def _failing() -> Rule:

    return Rule("systemctl enable", Result(1, "", "Job failed"))
