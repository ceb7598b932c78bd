"""Engine scale benchmark: prints scheduling overhead, latency efficiency and skew figures.

Run: ``.venv/bin/python bench/engine_scale.py`` (``--quick`` for a smaller first figure).

1. Overhead: 1,000 hosts x 100 chained steps (100,000 nodes), zero latency, with and without
   the sqlite state store. Target < 100 us per node and < 500 MB RSS.
2. Latency: every step does one 5 ms simulated remote call; wall time is compared with the
   lower bound max(critical path, total work / channels). Target within 10 %. Printed twice:
   with ``asyncio.sleep`` (epoll rounds timers up to 1 ms) and with a timer thread that wakes
   the loop at the deadline, as a socket reply would; the bare-chain floor shows what the
   waiting itself costs without the engine.
3. Skew: one host 5x slower (per-step jitter +-50 % on all hosts); the same create-like
   workload planned DAG-style (per-host edges) and lock-step-style (a barrier after every
   stage across all hosts), run in the same process; the ratio lock-step / DAG is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import itertools
import random
import resource
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kubexm.connector.simulated import simulated_hosts
from kubexm.engine import EngineOptions, StateStore, StaticEnv
from kubexm.engine import run as engine_run
from kubexm.plan import NO_RETRY, Fragment, Graph, RetryPolicy, StepContext


class PreciseTimer:
    """Wakes futures at their deadlines from a helper thread.

    ``asyncio.sleep`` rides on epoll's 1 ms timeout rounding, which adds up to 1 ms to every
    simulated 5 ms call; a real SSH reply arrives on a socket and wakes the loop at once. A
    thread that sleeps to the deadline and then pokes the loop models that much closer.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self.cond = threading.Condition()
        self.seq = itertools.count()
        threading.Thread(target=self._main, daemon=True).start()

    def sleep(self, delay: float) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = self.loop.create_future()
        with self.cond:
            heapq.heappush(self.heap, (time.monotonic() + delay, next(self.seq), fut))
            self.cond.notify()
        return fut

    def _main(self) -> None:
        with self.cond:
            while True:
                wait = self.heap[0][0] - time.monotonic() if self.heap else None
                if wait is None or wait > 0:
                    self.cond.wait(wait)
                    continue
                due = []
                while self.heap and self.heap[0][0] <= time.monotonic():
                    due.append(heapq.heappop(self.heap)[2])
                self.loop.call_soon_threadsafe(_wake, due)


def _wake(futures: list[asyncio.Future[None]]) -> None:
    for fut in futures:
        if not fut.done():
            fut.set_result(None)


TIMER: list[PreciseTimer] = []  # set by main(); empty means plain asyncio.sleep


async def simulated_wait(delay: float) -> None:
    if TIMER:
        await TIMER[0].sleep(delay)
    else:
        await asyncio.sleep(delay)


@dataclass(frozen=True)
class BenchStep:
    """A step whose run costs ``cost`` seconds of simulated remote work (0 = none)."""

    name: str
    cost: float = 0.0
    title: str = "bench step"
    bulk: bool = False
    serial_group: str | None = None
    timeout: float = 0.0
    retry: RetryPolicy = NO_RETRY

    def describe(self) -> str:
        return self.title

    def fingerprint(self) -> str:
        return f"{self.name}:{self.cost}"

    async def check(self, ctx: StepContext) -> bool:
        return False

    async def run(self, ctx: StepContext) -> None:
        if self.cost > 0:
            await simulated_wait(self.cost)


def chains(hosts: int, steps: int, cost: float = 0.0) -> Graph:
    frag = Fragment("bench")
    for h in range(hosts):
        host = f"node{h}"
        frag.chain((BenchStep(f"bench/step-{s}", cost), host) for s in range(steps))
    return Graph.from_fragment(frag)


def env_for(graph: Graph, latency: float = 0.0) -> StaticEnv:
    return StaticEnv(simulated_hosts(graph.hosts(), latency=latency))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def overhead(hosts: int, steps: int) -> None:
    t0 = time.perf_counter()
    graph = chains(hosts, steps)
    build = time.perf_counter() - t0
    n = len(graph)
    print(f"[1] overhead: {hosts} hosts x {steps} steps = {n} nodes (plan built in {build:.2f}s)")
    env = env_for(graph)
    opts = EngineOptions(max_channels=64)
    t0 = time.perf_counter()
    result = await engine_run(graph, env, opts)
    wall = time.perf_counter() - t0
    assert result.ok, result.counts()
    print(f"    no store:  {wall:.2f}s  {wall / n * 1e6:.1f} us/node  (target < 100)")
    with tempfile.TemporaryDirectory() as tmp:
        store = StateStore.in_dir(Path(tmp))
        t0 = time.perf_counter()
        result = await engine_run(graph, env, opts, store=store)
        wall = time.perf_counter() - t0
        store.close()
    assert result.ok, result.counts()
    print(
        f"    state.db:  {wall:.2f}s  {wall / n * 1e6:.1f} us/node"
        "  (one commit per event-loop pass)"
    )
    print(f"    peak RSS:  {rss_mb():.0f} MB  (target < 500)")


def lower_bound(graph: Graph, cost: dict[str, float], channels: int) -> float:
    finish: dict[str, float] = {}
    for nid in graph.order:
        start = max((finish[d] for d in graph.nodes[nid].deps), default=0.0)
        finish[nid] = start + cost[nid]
    critical = max(finish.values(), default=0.0)
    return max(critical, sum(cost.values()) / channels)


async def latency(hosts: int, steps: int, channels: int) -> None:
    graph = chains(hosts, steps, 0.005)
    nominal = lower_bound(graph, {nid: 0.005 for nid in graph.ids}, channels)
    t0 = time.perf_counter()
    result = await engine_run(graph, env_for(graph), EngineOptions(max_channels=channels))
    wall = time.perf_counter() - t0
    assert result.ok
    # asyncio timers overshoot (epoll has 1 ms resolution), so the bound is also computed from
    # the measured node durations: the gap to it is what the scheduler itself adds.
    measured = lower_bound(graph, {n: o.duration for n, o in result.outcomes.items()}, channels)
    print(
        f"    {hosts:>4} hosts x {steps} steps, {channels} channels: wall {wall:.3f}s; "
        f"bound {nominal:.3f}s nominal (+{(wall / nominal - 1) * 100:.1f}%), "
        f"{measured:.3f}s from measured step times (+{(wall / measured - 1) * 100:.1f}%)"
    )


async def asyncio_floor(hosts: int, steps: int) -> None:
    async def chain() -> None:
        for _ in range(steps):
            await simulated_wait(0.005)

    t0 = time.perf_counter()
    await asyncio.gather(*(chain() for _ in range(hosts)))
    wall = time.perf_counter() - t0
    nominal = steps * 0.005
    print(
        f"    floor: {hosts} bare chains of {steps} x 5 ms waits, no engine: "
        f"{wall:.3f}s (+{(wall / nominal - 1) * 100:.1f}% over nominal)"
    )


def skew_plan(
    hosts: int, stages: int, lockstep: bool, seed: int = 7
) -> tuple[Graph, dict[str, float]]:
    """Prepare chain on every host, a control-plane stage on 3 masters, then worker joins."""
    rng = random.Random(seed)
    names = [f"node{h}" for h in range(hosts)]
    masters, slow = names[:3], names[-1]

    def cost(host: str) -> float:
        return 0.005 * rng.uniform(0.5, 1.5) * (5 if host == slow else 1)

    frag, costs = Fragment("skew"), {}
    last: dict[str, str] = {}
    plan_stage = [(f"prep/step-{s}", names) for s in range(stages)]
    plan_stage += [(f"cp/step-{s}", masters) for s in range(stages // 3)]
    plan_stage += [(f"join/step-{s}", names[3:]) for s in range(stages // 6)]
    prev_all: list[str] = []
    for name, targets in plan_stage:
        ids = []
        for host in targets:
            c = cost(host)
            after = prev_all if lockstep else _dag_after(name, host, last, masters)
            nid = frag.add(BenchStep(name, c), host, after=after)
            costs[nid] = c
            last[host] = nid
            ids.append(nid)
        prev_all = ids
    return Graph.from_fragment(frag), costs


def _dag_after(name: str, host: str, last: dict[str, str], masters: list[str]) -> list[str]:
    deps = [last[host]] if host in last else []
    if name == "join/step-0":
        deps += [last[m] for m in masters]  # joining needs the finished control plane
    return deps


async def skew(hosts: int, stages: int) -> None:
    walls = {}
    for style in ("dag", "lock-step"):
        graph, costs = skew_plan(hosts, stages, style == "lock-step")
        env = StaticEnv(simulated_hosts(graph.hosts()))
        t0 = time.perf_counter()
        result = await engine_run(graph, env, EngineOptions(max_channels=64))
        walls[style] = time.perf_counter() - t0
        assert result.ok
        bound = lower_bound(graph, costs, 64)
        print(f"    {style:>9}: {len(graph)} nodes, wall {walls[style]:.3f}s (bound {bound:.3f}s)")
    print(f"    lock-step / DAG wall-time ratio: {walls['lock-step'] / walls['dag']:.2f}")


async def main(quick: bool) -> None:
    print(f"python {sys.version.split()[0]}")
    await overhead(100 if quick else 1000, 100)
    for label, precise in (("asyncio.sleep", False), ("precise timer thread", True)):
        TIMER[:] = [PreciseTimer(asyncio.get_running_loop())] if precise else []
        print(f"[2] latency 5 ms per step ({label}) vs critical-path lower bound")
        await asyncio_floor(64, 100)
        await latency(64, 100, 64)
        await latency(1000, 20, 64)
    print("[3] skewed workload: one host 5x slower, +-50% jitter per step")
    await skew(100, 30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 hosts instead of 1,000")
    asyncio.run(main(parser.parse_args().quick))
