from __future__ import annotations

import json

import pytest
from fakeconn import OK, FakeConnection
from stepctx import Ctx, converge

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.runner.criconfig import DockerSettings
from kubexm.step.runtime.write_docker_config import WriteDockerConfig

PATH = "/etc/docker/daemon.json"


def _fake(validate: Result = OK) -> FakeConnection:
    fake = FakeConnection()
    fake.script("--validate --config-file", validate)
    return fake


async def test_writes_a_validated_daemon_json_then_changes_nothing() -> None:
    fake = _fake()
    await converge(WriteDockerConfig(DockerSettings(data_root="/data/docker")), Ctx(fake))
    doc = json.loads(fake.text(PATH))
    assert doc["exec-opts"] == ["native.cgroupdriver=systemd"]
    assert doc["data-root"] == "/data/docker"
    assert sum("--validate" in c for c in fake.ran) == 1


async def test_a_file_dockerd_rejects_leaves_the_old_one_in_place() -> None:
    fake = _fake(Result(1, "", "unable to configure the Docker daemon"))
    fake.call(["mkdir", "-p", "/etc/docker"])
    fake.write(PATH, "{}\n")
    with pytest.raises(CommandError) as caught:
        await WriteDockerConfig(DockerSettings()).run(Ctx(fake))
    assert "unable to configure" in caught.value.stderr
    assert "extraJsonConfig" in caught.value.hint
    assert fake.text(PATH) == "{}\n"


async def test_an_old_dockerd_gets_the_file_unchecked() -> None:
    fake = FakeConnection()  # an unscripted --validate would fail the test
    await converge(WriteDockerConfig(DockerSettings(), validate=False), Ctx(fake))
    assert not any("--validate" in c for c in fake.ran)


def test_describe_names_the_file() -> None:
    assert WriteDockerConfig(DockerSettings()).describe() == f"Write docker daemon.json {PATH}"
