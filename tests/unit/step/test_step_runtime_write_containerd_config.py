from __future__ import annotations

import pytest
from fakeconn import OK, FakeConnection
from runtime_stepkit import Ctx

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.runner.criconfig import ContainerdSettings, MirrorEndpoint
from kubexm.step.runtime.write_containerd_config import RegistryHosts, WriteContainerdConfig

MIRROR = RegistryHosts("docker.io", (MirrorEndpoint("https://mirror.example.com"),))


def _fake(dump: Result = OK) -> FakeConnection:
    fake = FakeConnection()
    fake.script("config dump", dump)
    return fake


async def test_writes_config_and_hosts_toml_then_changes_nothing() -> None:
    ctx = Ctx(_fake())
    step = WriteContainerdConfig(ContainerdSettings(version="1.6.20"), (MIRROR,))

    assert await step.check(ctx) is False
    await step.run(ctx)

    assert "SystemdCgroup = true" in ctx.conn.text("/etc/containerd/config.toml")
    assert ctx.conn.files["/etc/containerd/config.toml"].mode == 0o644
    hosts = ctx.conn.text("/etc/containerd/certs.d/docker.io/hosts.toml")
    assert 'server = "https://registry-1.docker.io"' in hosts
    assert "mirror.example.com" in hosts
    assert sum("config dump" in c for c in ctx.conn.ran) == 1
    assert await step.check(ctx) is True


async def test_a_config_containerd_rejects_leaves_the_old_one_in_place() -> None:
    ctx = Ctx(_fake(Result(1, "", "unsupported config version")))
    ctx.conn.call(["mkdir", "-p", "/etc/containerd"])
    ctx.conn.write("/etc/containerd/config.toml", "old\n")
    step = WriteContainerdConfig(ContainerdSettings(version="1.6.20"))

    with pytest.raises(CommandError) as caught:
        await step.run(ctx)

    assert "unsupported config version" in caught.value.stderr
    assert ctx.conn.text("/etc/containerd/config.toml") == "old\n"


async def test_a_config_with_credentials_is_private() -> None:
    ctx = Ctx(_fake())
    step = WriteContainerdConfig(ContainerdSettings(version="1.7.20"), secret=True)
    await step.run(ctx)
    assert ctx.conn.files["/etc/containerd/config.toml"].mode == 0o600


def test_describe_lists_the_registry_hosts() -> None:
    step = WriteContainerdConfig(ContainerdSettings(), (MIRROR,))
    assert step.describe() == "Write containerd config /etc/containerd/config.toml (docker.io)"
