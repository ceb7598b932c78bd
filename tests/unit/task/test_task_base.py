"""Task contract: a fragment, or None when not required."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kubexm.plan import Fragment, PlanContext, StepContext
from kubexm.step import Step
from kubexm.task import TASKS, Task, register_task


@dataclass
class Ctx:
    config: object = None
    roles: dict[str, list[str]] = field(default_factory=dict)

    def hosts_with_role(self, role: str) -> Sequence[str]:
        return self.roles.get(role, [])

    def facts(self, host: str) -> Mapping[str, object]:
        return {}


@dataclass(frozen=True)
class Touch(Step):
    name = "test/touch-file"
    title = "Touch a file"

    async def check(self, ctx: StepContext) -> bool:
        return True

    async def run(self, ctx: StepContext) -> None:
        return None


@register_task
class EtcdInstallTask(Task):
    name = "etcd-install"
    description = "install etcd on etcd hosts"

    def is_required(self, ctx: PlanContext) -> bool:
        return bool(ctx.hosts_with_role("etcd"))

    def build(self, ctx: PlanContext) -> Fragment:
        frag = Fragment()
        for host in ctx.hosts_with_role("etcd"):
            frag.add(Touch(), host)
        return frag


class EmptyTask(Task):
    name = "empty"

    def build(self, ctx: PlanContext) -> Fragment:
        return Fragment("empty")


def test_task_plans_a_named_fragment_when_required() -> None:
    ctx = Ctx(roles={"etcd": ["n1", "n2"]})
    assert isinstance(ctx, PlanContext)
    frag = EtcdInstallTask().plan(ctx)
    assert frag is not None
    assert frag.name == "etcd-install"
    assert list(frag.nodes) == ["test/touch-file@n1", "test/touch-file@n2"]


def test_task_returns_none_when_not_required_or_empty() -> None:
    assert EtcdInstallTask().plan(Ctx()) is None
    assert EmptyTask().plan(Ctx()) is None
    assert EmptyTask().is_required(Ctx())


def test_registered_tasks_are_found_by_name() -> None:
    assert TASKS.get("etcd-install") is EtcdInstallTask
