from __future__ import annotations

import pytest
from fakeconn import OK, FakeConnection
from stepctx import Ctx, converge

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.runner.criconfig import (
    CRIO_DROPIN,
    POLICY_JSON,
    REGISTRIES_CONF,
    CrioSettings,
    render_crio_dropin,
    render_policy_json,
    render_registries_conf,
)
from kubexm.step.runtime.write_crio_config import AUTH_FILE, WriteCrioConfig


def _step(auth: str | None = None) -> WriteCrioConfig:
    return WriteCrioConfig(
        dropin=render_crio_dropin(CrioSettings()),
        registries=render_registries_conf(["docker.io"], []),
        policy=render_policy_json(),
        auth=auth,
    )


def _fake(check: Result = OK) -> FakeConnection:
    fake = FakeConnection()
    fake.script("config-dir /run/kubexm/crio-check config", check)
    return fake


async def test_writes_the_checked_drop_in_and_containers_files_then_changes_nothing() -> None:
    fake = _fake()
    step = _step()
    await converge(step, Ctx(fake))
    assert fake.text(CRIO_DROPIN) == step.dropin
    assert fake.text(REGISTRIES_CONF) == step.registries
    assert fake.text(POLICY_JSON) == step.policy
    assert not fake.exists(AUTH_FILE)
    assert sum("crio-check config" in c for c in fake.ran) == 1


async def test_credentials_are_private() -> None:
    fake = _fake()
    await _step('{"auths": {}}\n').run(Ctx(fake))
    assert fake.files[AUTH_FILE].mode == 0o600


async def test_a_drop_in_crio_rejects_leaves_the_old_one_in_place() -> None:
    fake = _fake(Result(1, "", "invalid log_level"))
    fake.call(["mkdir", "-p", "/etc/crio/crio.conf.d"])
    fake.write(CRIO_DROPIN, "old\n")
    with pytest.raises(CommandError) as caught:
        await _step().run(Ctx(fake))
    assert "invalid log_level" in caught.value.stderr
    assert "extraTomlConfig" in caught.value.hint
    assert fake.text(CRIO_DROPIN) == "old\n"
    assert not fake.exists(REGISTRIES_CONF)


def test_describe_names_the_drop_in() -> None:
    assert _step().describe() == f"Write CRI-O config {CRIO_DROPIN}"
