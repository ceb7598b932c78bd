"""A module links the tasks of one area (etcd, runtime, control plane...)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, TypeVar

from kubexm.plan import Fragment, PlanContext, Registry, sequence
from kubexm.task import Task


class Module(ABC):
    """Links its tasks' fragments; only links, never executes.

    The default ``plan`` runs the tasks one after another (all exits before all entries).
    Set ``per_host = True`` when each task only depends on earlier tasks on the same host,
    or override ``plan`` for other shapes.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    per_host: ClassVar[bool] = False

    @abstractmethod
    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        """The tasks of this module in run order (required or not)."""

    def plan(self, ctx: PlanContext) -> Fragment | None:
        """The linked fragment of the required tasks, or None when no task applies."""
        fragment = sequence(
            self.name, (t.plan(ctx) for t in self.tasks(ctx)), per_host=self.per_host
        )
        return fragment if len(fragment) else None


MODULES: Registry[type[Module]] = Registry("module")

M = TypeVar("M", bound=type[Module])


def register_module(cls: M) -> M:
    """Class decorator registering a module under its ``name``."""
    MODULES.add(cls.name, cls)
    return cls
