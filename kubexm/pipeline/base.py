"""A pipeline is one user intent (create cluster, delete nodes...): it links modules into a
validated graph and is the only layer that starts the engine."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import ClassVar, TypeVar

from kubexm.engine import EngineOptions, HostEnv, Listener, RunResult, StateStore
from kubexm.engine import run as engine_run
from kubexm.module import Module
from kubexm.plan import Graph, PlanContext, Registry, sequence


class Pipeline(ABC):
    """Links its modules one after another; ``plan`` is pure, ``run`` executes.

    Subclasses set ``name`` (the verb-noun, e.g. ``create-cluster``) and ``description``.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""

    @abstractmethod
    def modules(self, ctx: PlanContext) -> Sequence[Module]:
        """The modules in run order."""

    def plan(self, ctx: PlanContext) -> Graph:
        """The validated graph; raises ``PlanError`` for a cycle, dangling edge or dup id."""
        fragment = sequence(self.name, (m.plan(ctx) for m in self.modules(ctx)))
        return Graph.from_fragment(fragment, self.name)

    async def run(
        self,
        graph: Graph,
        env: HostEnv,
        options: EngineOptions | None = None,
        *,
        store: StateStore | None = None,
        listeners: Iterable[Listener] = (),
    ) -> RunResult:
        """Execute ``graph``; node failures are in the result, ``StateError`` is raised."""
        return await engine_run(graph, env, options, store=store, listeners=listeners)


PIPELINES: Registry[type[Pipeline]] = Registry("pipeline")

P = TypeVar("P", bound=type[Pipeline])


def register_pipeline(cls: P) -> P:
    """Class decorator registering a pipeline under its ``name`` (what ``cmd`` looks up)."""
    PIPELINES.add(cls.name, cls)
    return cls
