"""The step base class: fingerprints, describe, registration."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import BaseModel

from kubexm.connector.simulated import SimulatedConnection
from kubexm.engine import StaticEnv, node_context
from kubexm.errors import PlanError
from kubexm.plan import Executable, Rollbackable, StepContext
from kubexm.step import STEPS, Step, register_step


class Mode(enum.Enum):
    FAST = "fast"


class Extra(BaseModel):
    port: int = 2379


@dataclass(frozen=True)
class Inner:
    level: int


@dataclass(frozen=True)
class WriteThing(Step):
    name = "test/write-thing"
    title = "Write a thing"

    path: str
    content: bytes = b""
    labels: dict[str, str] = field(default_factory=dict)
    tags: frozenset[str] = frozenset()

    async def check(self, ctx: StepContext) -> bool:
        return self.path in getattr(ctx.conn, "files", {})

    async def run(self, ctx: StepContext) -> None:
        await ctx.conn.put(self.content, self.path)


@dataclass(frozen=True)
class RichInputs(Step):
    name = "test/rich-inputs"
    title = "Take every input kind"

    where: Path
    mode: Mode
    extra: Extra
    inner: Inner
    items: tuple[int, ...]
    maybe: float | None = None

    async def check(self, ctx: StepContext) -> bool:
        return True

    async def run(self, ctx: StepContext) -> None:
        return None


class PlainStep(Step):
    name = "test/plain-step"
    title = "Plain"

    def __init__(self, value: int) -> None:
        self.value = value
        self._private = object()

    async def check(self, ctx: StepContext) -> bool:
        return False

    async def run(self, ctx: StepContext) -> None:
        return None

    async def rollback(self, ctx: StepContext) -> None:
        return None


def test_fingerprint_is_stable_and_follows_inputs() -> None:
    a = WriteThing("/etc/x", b"1", {"b": "2", "a": "1"}, frozenset({"z", "y"}))
    b = WriteThing("/etc/x", b"1", {"a": "1", "b": "2"}, frozenset({"y", "z"}))
    assert a.fingerprint() == b.fingerprint()
    assert len(a.fingerprint()) == 64
    assert WriteThing("/etc/x", b"2").fingerprint() != WriteThing("/etc/x", b"1").fingerprint()


def test_fingerprint_handles_paths_enums_models_dataclasses() -> None:
    step = RichInputs(Path("/var"), Mode.FAST, Extra(), Inner(1), (1, 2))
    other = RichInputs(Path("/var"), Mode.FAST, Extra(port=1), Inner(1), (1, 2))
    assert step.fingerprint() != other.fingerprint()
    assert step.inputs()["where"] == Path("/var")


def test_plain_class_inputs_skip_private_attributes() -> None:
    assert PlainStep(3).inputs() == {"value": 3}


def test_unstable_input_is_a_plan_error() -> None:
    class Bad(PlainStep):
        pass

    with pytest.raises(PlanError, match="no stable fingerprint"):
        Bad(object()).fingerprint()  # type: ignore[arg-type]  # wrong on purpose


def test_steps_satisfy_the_engine_contracts() -> None:
    step = WriteThing("/etc/x")
    assert isinstance(step, Executable)
    assert not isinstance(step, Rollbackable)
    assert isinstance(PlainStep(1), Rollbackable)
    assert step.describe() == "Write a thing"


async def test_write_thing_changes_nothing_the_second_time() -> None:
    conn = SimulatedConnection("n1")
    ctx = node_context(StaticEnv({"n1": conn}), "n1", WriteThing.name, dry_run=False)
    step = WriteThing("/etc/x", b"data")
    assert not await step.check(ctx)
    await step.run(ctx)
    assert await step.check(ctx)


def test_register_step_checks_name_and_title() -> None:
    @register_step
    @dataclass(frozen=True)
    class Good(WriteThing):
        name = "test/good-step"

    assert STEPS.get("test/good-step") is Good

    class NoPath(PlainStep):
        name = "Bad Name"

    with pytest.raises(PlanError, match="invalid name"):
        register_step(NoPath)

    class NoTitle(PlainStep):
        name = "test/no-title"
        title = ""

    with pytest.raises(PlanError, match="has no title"):
        register_step(NoTitle)


@dataclass(frozen=True)
class InstallLocal(Step):
    name = "demo/install-local"
    title = "Install a local file"
    source: Path

    async def check(self, ctx: StepContext) -> bool:
        return True

    async def run(self, ctx: StepContext) -> None:
        return None


def test_a_local_file_input_changes_the_fingerprint_when_the_file_changes(tmp_path: Path) -> None:
    source = tmp_path / "kubelet"
    source.write_bytes(b"one")
    before = InstallLocal(source).fingerprint()
    os.utime(source, ns=(1, 1))
    source.write_bytes(b"two!")

    assert InstallLocal(source).fingerprint() != before
    assert (
        InstallLocal(tmp_path / "absent").fingerprint()
        == InstallLocal(tmp_path / "absent").fingerprint()
    )
