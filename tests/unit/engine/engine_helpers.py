"""Probe steps and a recorder shared by the engine tests."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubexm.connector.simulated import simulated_hosts
from kubexm.engine import StaticEnv
from kubexm.errors import StepError
from kubexm.plan import NO_RETRY, Fragment, Graph, RetryPolicy, StepContext


@dataclass
class Recorder:
    """Counts what probes did: order, concurrency peaks, runs and checks per node."""

    seq: int = 0
    started: dict[str, int] = field(default_factory=dict)
    ended: dict[str, int] = field(default_factory=dict)
    runs: Counter[str] = field(default_factory=Counter)
    checks: Counter[str] = field(default_factory=Counter)
    rollbacks: list[str] = field(default_factory=list)
    current: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)

    def _tick(self) -> int:
        self.seq += 1
        return self.seq

    def enter(self, keys: list[str], node: str) -> None:
        self.started[node] = self._tick()
        self.runs[node] += 1
        for key in keys:
            self.current[key] += 1
            self.peak[key] = max(self.peak[key], self.current[key])

    def leave(self, keys: list[str], node: str) -> None:
        self.ended[node] = self._tick()
        for key in keys:
            self.current[key] -= 1


@dataclass(frozen=True, eq=False)
class Probe:
    """An ``Executable`` that records itself; ``fail_times`` runs fail before it succeeds."""

    name: str
    rec: Recorder
    cost: float = 0.0
    done: bool = False
    fail: bool = False
    error: Callable[[str], Exception] = StepError
    fail_times: list[int] = field(default_factory=lambda: [0])
    title: str = "probe"
    bulk: bool = False
    serial_group: str | None = None
    timeout: float = 5.0
    retry: RetryPolicy = NO_RETRY
    version: str = "1"
    #: the check itself raises (a tool it reads is not installed yet)
    check_fails: bool = False

    def describe(self) -> str:
        return f"probe {self.name}"

    def fingerprint(self) -> str:
        return f"{self.name}:{self.version}"

    def _keys(self, ctx: StepContext) -> list[str]:
        keys = ["total", f"host:{ctx.host}"]
        if self.bulk:
            keys.append("bulk")
        if self.serial_group:
            keys.append(f"group:{self.serial_group}")
        return keys

    async def check(self, ctx: StepContext) -> bool:
        self.rec.checks[f"{self.name}@{ctx.host}"] += 1
        await asyncio.sleep(0)
        if self.check_fails:
            raise self.error("ctr: not found")
        return self.done

    async def run(self, ctx: StepContext) -> None:
        node = f"{self.name}@{ctx.host}"
        self.rec.enter(self._keys(ctx), node)
        try:
            await asyncio.sleep(self.cost)
            if self.fail_times[0] > 0:
                self.fail_times[0] -= 1
                raise self.error(f"{node} transient failure")
            if self.fail:
                raise self.error(f"{node} failed on purpose")
        finally:
            self.rec.leave(self._keys(ctx), node)


@dataclass(frozen=True, eq=False)
class UndoProbe(Probe):
    """A probe that can roll back."""

    async def rollback(self, ctx: StepContext) -> None:
        self.rec.rollbacks.append(f"{self.name}@{ctx.host}")


def env_for(graph: Graph) -> StaticEnv:
    return StaticEnv(simulated_hosts(graph.hosts()))


def chain_graph(rec: Recorder, hosts: int, steps: int, **kw: Any) -> Graph:
    frag = Fragment("chains")
    for h in range(hosts):
        frag.chain((Probe(f"t/step-{s}", rec, **kw), f"n{h}") for s in range(steps))
    return Graph.from_fragment(frag)
