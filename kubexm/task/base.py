"""A task plans the steps of one goal ("install etcd") as a fragment, or nothing."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, TypeVar

from kubexm.plan import Fragment, PlanContext, Registry


class Task(ABC):
    """Builds a sub-graph of steps; pure: reads config and facts, never touches a host.

    Subclasses are named ``<Component><Action>Task`` and set ``name`` and ``description``.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""

    def is_required(self, ctx: PlanContext) -> bool:
        """False when the config or facts make this task unnecessary; True by default."""
        return True

    @abstractmethod
    def build(self, ctx: PlanContext) -> Fragment:
        """The steps of this task and their edges; only called when required."""

    def plan(self, ctx: PlanContext) -> Fragment | None:
        """The task's fragment, or None when not required or when it plans no step.

        Planning errors are ``PlanError`` (or ``ConfigError``) raised by ``build``.
        """
        if not self.is_required(ctx):
            return None
        fragment = self.build(ctx)
        if not len(fragment):
            return None
        fragment.name = fragment.name or self.name
        return fragment


TASKS: Registry[type[Task]] = Registry("task")

T = TypeVar("T", bound=type[Task])


def register_task(cls: T) -> T:
    """Class decorator registering a task under its ``name``."""
    TASKS.add(cls.name, cls)
    return cls
