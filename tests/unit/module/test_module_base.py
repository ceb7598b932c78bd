"""Module contract: links its tasks, or None when none applies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kubexm.module import MODULES, Module, register_module
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
class Mark(Step):
    name = "test/mark"
    title = "Mark"
    label: str = ""

    async def check(self, ctx: StepContext) -> bool:
        return True

    async def run(self, ctx: StepContext) -> None:
        return None


@dataclass
class RoleTask(Task):
    role: str
    name = "role-task"

    def build(self, ctx: PlanContext) -> Fragment:
        frag = Fragment(f"{self.role}-task")
        for host in ctx.hosts_with_role(self.role):
            frag.add(Mark(self.role), host, id=f"test/{self.role}@{host}")
        return frag


@register_module
class DemoModule(Module):
    name = "demo"

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        return [RoleTask("etcd"), RoleTask("registry"), RoleTask("master")]


class PerHostModule(DemoModule):
    name = "per-host-demo"
    per_host = True


def test_module_links_required_tasks_in_order() -> None:
    frag = DemoModule().plan(Ctx(roles={"etcd": ["n1"], "master": ["n1", "n2"]}))
    assert frag is not None
    assert list(frag.nodes["test/master@n2"].deps) == ["test/etcd@n1"]


def test_per_host_module_links_within_hosts() -> None:
    frag = PerHostModule().plan(Ctx(roles={"etcd": ["n1", "n2"], "master": ["n1", "n2"]}))
    assert frag is not None
    assert list(frag.nodes["test/master@n2"].deps) == ["test/etcd@n2"]


def test_module_without_applicable_tasks_plans_nothing() -> None:
    assert DemoModule().plan(Ctx()) is None
    assert MODULES.get("demo") is DemoModule
