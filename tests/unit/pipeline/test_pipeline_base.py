"""Pipeline contract: links modules into a validated graph and runs it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from kubexm.connector.simulated import simulated_hosts
from kubexm.engine import StaticEnv
from kubexm.errors import PlanError
from kubexm.module import Module
from kubexm.pipeline import PIPELINES, Pipeline, register_pipeline
from kubexm.plan import Fragment, PlanContext, StepContext
from kubexm.step import Step
from kubexm.task import Task


@dataclass
class Ctx:
    config: object = None
    roles: dict[str, list[str]] = field(default_factory=dict)

    def hosts_with_role(self, role: str) -> Sequence[str]:
        return self.roles.get(role, [])

    def facts(self, host: str) -> Mapping[str, object]:
        return {}


@dataclass(frozen=True)
class Put(Step):
    name = "test/put-marker"
    title = "Put a marker"
    path: str = "/tmp/marker"

    async def check(self, ctx: StepContext) -> bool:
        return False

    async def run(self, ctx: StepContext) -> None:
        await ctx.conn.put(b"x", self.path)


@dataclass
class PutTask(Task):
    path: str
    after: str | None = None
    name = "put-task"

    def build(self, ctx: PlanContext) -> Fragment:
        frag = Fragment(self.path)
        for host in ctx.hosts_with_role("worker"):
            after = [self.after] if self.after else []
            frag.add(Put(self.path), host, id=f"test{self.path}@{host}", after=after)
        return frag


@dataclass
class OneTaskModule(Module):
    task: Task
    name = "one"

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        return [self.task]


@register_pipeline
class DemoPipeline(Pipeline):
    name = "demo-create"
    description = "demo"

    def modules(self, ctx: PlanContext) -> Sequence[Module]:
        return [OneTaskModule(PutTask("/a")), OneTaskModule(PutTask("/b"))]


class BrokenPipeline(Pipeline):
    name = "broken"

    def modules(self, ctx: PlanContext) -> Sequence[Module]:
        return [OneTaskModule(PutTask("/a", after="ghost@n1"))]


async def test_pipeline_plans_and_runs_its_modules() -> None:
    ctx = Ctx(roles={"worker": ["n1", "n2"]})
    pipeline = PIPELINES.get("demo-create")()
    graph = pipeline.plan(ctx)
    assert graph.name == "demo-create"
    assert list(graph.nodes["test/b@n1"].deps) == ["test/a@n1", "test/a@n2"]
    conns = simulated_hosts(["n1", "n2"])
    result = await pipeline.run(graph, StaticEnv(conns))
    assert result.ok
    assert set(conns["n2"].files) == {"/a", "/b"}


def test_invalid_plan_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match="unknown node ghost@n1"):
        BrokenPipeline().plan(Ctx(roles={"worker": ["n1"]}))
