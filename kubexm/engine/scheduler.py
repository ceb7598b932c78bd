"""The asyncio DAG scheduler.

A node becomes ready when its last dependency succeeds (a counter per node, decremented along
its edges), so bookkeeping is O(nodes + edges) and nothing scans the graph per tick. A ready
node waits, in this order, for its serial group, a slot on its host, a bulk-upload slot (bulk
steps only) and a remote channel; the fixed order keeps the waits deadlock-free.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kubexm.engine.context import HostEnv, node_context
from kubexm.engine.events import SUCCESS, Event, EventKind, Listener, Status
from kubexm.engine.result import NodeOutcome, RunResult, RunStatus
from kubexm.engine.state import StateStore
from kubexm.errors import KubexmError, StateError
from kubexm.plan import PLAN_HOST, Graph, Node, Rollbackable

_LOG = logging.getLogger("kubexm.engine")

_Lock = asyncio.Semaphore | asyncio.Lock


@dataclass(frozen=True)
class EngineOptions:
    """Caps and policies of one run.

    ``max_channels``: remote channels (running nodes) at once. ``max_bulk``: bulk uploads at
    once. ``per_host``: nodes at once on one host. ``fail_fast``: the first failure stops new
    nodes. ``rollback``: after a failure, stop new nodes, let running ones finish, then call
    ``rollback`` of the failed node and of the nodes it depends on that changed something in
    this run, newest first. ``dry_run``: ``check`` only, nothing written. ``fresh``: ignore
    the history of earlier runs.
    """

    max_channels: int = 64
    max_bulk: int = 8
    per_host: int = 1
    fail_fast: bool = False
    rollback: bool = False
    dry_run: bool = False
    fresh: bool = False
    command: str = ""


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


class Engine:
    """Runs one graph once. Create it, then ``await engine.run()``; ``stop()`` any time.

    ``run`` never raises for a failing node: failures are in the result. It raises
    ``StateError`` when the state store cannot be written. Cancelling ``run`` (Ctrl-C) acts
    like ``stop()``: running nodes finish or time out, state is saved, and the result is
    ``interrupted`` with a hint to re-run.
    """

    def __init__(
        self,
        graph: Graph,
        env: HostEnv,
        options: EngineOptions | None = None,
        *,
        store: StateStore | None = None,
        listeners: Iterable[Listener] = (),
        run_id: str | None = None,
    ) -> None:
        self.graph = graph
        self.env = env
        self.opts = options or EngineOptions()
        # A dry run reads history (to show what resume would skip) but writes nothing.
        self._reader = store
        self.store = store if not self.opts.dry_run else None
        self.listeners = list(listeners)
        self.run_id = run_id or new_run_id()
        n = len(graph)
        self._remaining = [len(d) for d in graph.deps_of]
        self._status: list[Status | None] = [None] * n
        self._dep_ran = [False] * n
        self._outcomes: list[NodeOutcome | None] = [None] * n
        self._finish_seq: list[int] = [0] * n
        self._seq = 0
        self._settled = 0
        self._ready: deque[int] = deque(i for i in range(n) if self._remaining[i] == 0)
        self._running: set[asyncio.Task[None]] = set()
        self._active = 0  # nodes between start and settle; the set lags behind by a callback
        self._stopping = False
        self._interrupted = False
        self._failed: list[int] = []
        self._fatal: KubexmError | None = None
        self._rollbacks: list[tuple[str, str]] = []
        self._rows: list[tuple[dict[str, Any], bool]] = []
        self._invalid: list[str] = []
        self._flush_scheduled = False
        self._done = asyncio.Event()
        self._channels = asyncio.Semaphore(self.opts.max_channels)
        self._bulk = asyncio.Semaphore(self.opts.max_bulk)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._groups: dict[str, asyncio.Lock] = {}
        self._history: dict[str, str] = {}
        self._fps: list[str] = []
        self._started = 0.0

    # -- public -------------------------------------------------------------------------

    def stop(self) -> None:
        """Start no new node; running nodes finish or time out."""
        self._stopping = True
        self._check_done()

    async def run(self) -> RunResult:
        """Execute the graph and return the result (see the class docstring for errors)."""
        self._begin()
        self._pump()
        self._check_done()
        try:
            await self._done.wait()
        except asyncio.CancelledError:
            self._interrupted = True
            self.stop()
            await self._drain()
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
        if self.opts.rollback and self._failed:
            await self._rollback_all()
        self._flush()
        return self._finish()

    # -- lifecycle ----------------------------------------------------------------------

    def _begin(self) -> None:
        self._started = time.time()
        if self._reader is not None:
            # Up front, so a step with an unhashable input fails before anything runs.
            self._fps = [self._fingerprint(self.graph.nodes[nid]) for nid in self.graph.ids]
        if self._reader is not None and not self.opts.fresh:
            self._history = self._reader.history()
        if self.store is not None:
            self.store.begin_run(
                self.run_id, self.graph.name, self.opts.command, self._started, dry_run=False
            )
        self._emit(Event(EventKind.RUN_STARTED, self._started, total=len(self.graph)))

    async def _drain(self) -> None:
        while self._running:
            await asyncio.wait(set(self._running))

    def _finish(self) -> RunResult:
        finished = time.time()
        outcomes: dict[str, NodeOutcome] = {}
        for i, nid in enumerate(self.graph.ids):
            out = self._outcomes[i]
            if out is None:
                node = self.graph.nodes[nid]
                out = NodeOutcome(nid, node.host, node.step.name, Status.NOT_STARTED)
            outcomes[nid] = out
        status = self._run_status()
        result = RunResult(
            self.run_id, self.graph.name, status, self._started, finished, self.opts.dry_run
        )
        result.outcomes = outcomes
        result.rollbacks = self._rollbacks
        result.hint = self._hint(result)
        if self.store is not None and self._fatal is None:
            if status is RunStatus.SUCCEEDED:
                # Nothing is left to resume: the next run checks every step against the hosts
                # again, so drift is repaired and a reinstalled host is not skipped.
                self.store.write(self.run_id, [], self.graph.ids)
            self.store.finish_run(self.run_id, str(status), finished)
        self._emit(Event(EventKind.RUN_FINISHED, finished, status=str(status), message=result.hint))
        if self._fatal is not None:
            raise self._fatal
        return result

    def _run_status(self) -> RunStatus:
        if self._failed or self._fatal is not None:
            return RunStatus.FAILED
        if self._interrupted or self._settled < len(self.graph):
            return RunStatus.INTERRUPTED
        return RunStatus.SUCCEEDED

    def _hint(self, result: RunResult) -> str:
        if result.ok or self.opts.dry_run:
            return ""
        done = sum(1 for o in result.outcomes.values() if o.status in SUCCESS)
        return (
            f"re-run the same command to resume: {done} of {len(result.outcomes)} steps "
            "finished and will be skipped unless their inputs changed (--fresh ignores history)"
        )

    def _check_done(self) -> None:
        settled = self._settled == len(self.graph)
        if settled or (self._stopping and not self._active):
            self._done.set()

    # -- dispatch -----------------------------------------------------------------------

    def _pump(self) -> None:
        """Start every ready node; nodes that need no host work settle right here."""
        while self._ready and not self._stopping:
            i = self._ready.popleft()
            node = self.graph.nodes[self.graph.ids[i]]
            if node.host == PLAN_HOST:
                self._settle(i, NodeOutcome(node.id, node.host, node.step.name, Status.UNCHANGED))
            elif self._resumable(i, node):
                out = NodeOutcome(node.id, node.host, node.step.name, Status.RESUMED)
                out.message = "succeeded in an earlier run with the same inputs"
                self._settle(i, out)
            else:
                self._active += 1
                task = asyncio.create_task(self._execute(i, node))
                self._running.add(task)
                task.add_done_callback(self._running.discard)

    def _fingerprint(self, node: Node) -> str:
        """The step's inputs and, when known, the host's machine-id: a host reinstalled
        between a failed run and its rerun has a new one, so nothing of it is skipped."""
        fingerprint = node.step.fingerprint()
        if node.host == PLAN_HOST:
            return fingerprint
        machine = self.env.facts(node.host).get("machine_id")
        return f"{fingerprint}|machine:{machine}" if machine else fingerprint

    def _resumable(self, i: int, node: Node) -> bool:
        # Checks of the present state (preflight) must look again on every run.
        if not getattr(node.step, "resumable", True):
            return False
        recorded = self._history.get(node.id)
        if recorded is None:
            return False
        if not self._dep_ran[i] and recorded == self._fps[i]:
            return True
        # It runs again: forget the old success first, so a kill mid-run cannot skip it.
        self._queue_write(invalidate=node.id)
        return False

    def _locks(self, node: Node) -> list[_Lock]:
        step = node.step
        locks: list[_Lock] = []
        if step.serial_group:
            locks.append(self._groups.setdefault(step.serial_group, asyncio.Lock()))
        host = self._hosts.get(node.host)
        if host is None:
            host = self._hosts[node.host] = asyncio.Semaphore(self.opts.per_host)
        locks.append(host)
        if step.bulk:
            locks.append(self._bulk)
        locks.append(self._channels)
        return locks

    async def _execute(self, i: int, node: Node) -> None:
        locks = self._locks(node)
        held: list[_Lock] = []
        out: NodeOutcome | None = None
        try:
            for lock in locks:
                await lock.acquire()
                held.append(lock)
            # A node that queued for a slot before stop() must not start after it.
            if not self._stopping:
                out = await self._attempts(i, node)
        finally:
            for lock in reversed(held):
                lock.release()
        self._active -= 1
        if out is None:
            self._check_done()
            return
        try:
            self._settle(i, out)
            self._pump()
        except KubexmError as exc:  # bookkeeping must not die silently inside a task
            self._fatal = exc
            self._stopping = True
        self._check_done()

    async def _attempts(self, i: int, node: Node) -> NodeOutcome:
        step = node.step
        out = NodeOutcome(node.id, node.host, step.name, Status.FAILED, started=time.time())
        if self.listeners:  # the hot path builds no event nobody reads
            self._emit(
                Event(EventKind.NODE_STARTED, out.started or 0.0, node.id, node.host, step.name)
            )
        while True:
            out.attempts += 1
            try:
                out.status = await self._once(node)
            except Exception as exc:  # a step's failure is data for the result, not a crash
                if step.retry.should_retry(exc, out.attempts):
                    self._emit_retry(node, out.attempts, exc)
                    await asyncio.sleep(step.retry.delay(out.attempts))
                    continue
                out.status, out.message = Status.FAILED, _describe(exc, step.timeout)
                if self.opts.dry_run and self._dep_ran[i]:
                    # Its check read a host that earlier steps of this run would change
                    # first (a binary not installed yet): that is pending work, not a fault.
                    out.status = Status.WOULD_CHANGE
                    out.message = f"checked before earlier steps ran: {out.message}"
            out.finished = time.time()
            return out

    async def _once(self, node: Node) -> Status:
        step = node.step
        ctx = node_context(self.env, node.host, step.name, dry_run=self.opts.dry_run)
        async with asyncio.timeout(step.timeout if step.timeout > 0 else None):
            if await step.check(ctx):
                return Status.UNCHANGED
            if self.opts.dry_run:
                return Status.WOULD_CHANGE
            await step.run(ctx)
        return Status.CHANGED

    # -- settling -----------------------------------------------------------------------

    def _settle(self, i: int, out: NodeOutcome) -> None:
        """Record a final outcome and release or block the dependants."""
        self._status[i] = out.status
        self._outcomes[i] = out
        self._settled += 1
        self._seq += 1
        self._finish_seq[i] = self._seq
        self._persist(i, out)
        self._emit_outcome(out)
        if out.status in SUCCESS:
            # A dry run changes nothing, so what follows a pending step stays uncertain.
            ran = out.status in (Status.CHANGED, Status.WOULD_CHANGE) or (
                (out.host == PLAN_HOST or self.opts.dry_run) and self._dep_ran[i]
            )
            self._release(i, ran=ran)
        else:
            self._failed.append(i)
            self._block(i)
            if self.opts.fail_fast or self.opts.rollback:
                self._stopping = True

    def _release(self, i: int, *, ran: bool) -> None:
        for j in self.graph.dependants_of[i]:
            if ran:
                self._dep_ran[j] = True
            self._remaining[j] -= 1
            if self._remaining[j] == 0:
                self._ready.append(j)

    def _block(self, i: int) -> None:
        cause = self.graph.ids[i]
        stack = list(self.graph.dependants_of[i])
        now = time.time()
        while stack:
            j = stack.pop()
            if self._status[j] is not None:
                continue
            node = self.graph.nodes[self.graph.ids[j]]
            out = NodeOutcome(node.id, node.host, node.step.name, Status.BLOCKED)
            out.message = f"not run: dependency {cause} failed"
            self._status[j] = Status.BLOCKED
            self._outcomes[j] = out
            self._settled += 1
            self._emit(
                Event(
                    EventKind.NODE_SKIPPED,
                    now,
                    node.id,
                    node.host,
                    node.step.name,
                    str(Status.BLOCKED),
                    message=out.message,
                )
            )
            stack.extend(self.graph.dependants_of[j])

    def _persist(self, i: int, out: NodeOutcome) -> None:
        if self.store is None or out.status is Status.RESUMED or out.host == PLAN_HOST:
            return
        row = out.to_dict()
        row["fingerprint"] = self._fps[i]
        self._queue_write(row=(row, out.status in SUCCESS))

    def _queue_write(
        self, *, row: tuple[dict[str, Any], bool] | None = None, invalidate: str | None = None
    ) -> None:
        """Buffer a write; one transaction per loop pass commits them.

        The flush is scheduled with ``call_soon`` before any task started in this pass gets
        to run, so a result is durable before a dependant starts and an invalidation before
        its node executes; a kill loses at most the results of the current pass.
        """
        if self.store is None:
            return
        if row is not None:
            self._rows.append(row)
        if invalidate is not None:
            self._invalid.append(invalidate)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self.store is None or not (self._rows or self._invalid):
            return
        rows, invalid = self._rows, self._invalid
        self._rows, self._invalid = [], []
        try:
            self.store.write(self.run_id, rows, invalid)
        except StateError as exc:
            self._fatal = exc
            self.stop()

    # -- rollback -----------------------------------------------------------------------

    async def _rollback_all(self) -> None:
        done: set[int] = set()
        for i in self._failed:
            chain = [i, *self._changed_ancestors(i)]
            for j in sorted(chain, key=lambda k: self._finish_seq[k], reverse=True):
                if j not in done:
                    done.add(j)
                    await self._rollback_one(j)

    def _changed_ancestors(self, i: int) -> list[int]:
        seen: set[int] = set()
        stack = list(self.graph.deps_of[i])
        while stack:
            j = stack.pop()
            if j not in seen:
                seen.add(j)
                stack.extend(self.graph.deps_of[j])
        return [j for j in seen if self._status[j] is Status.CHANGED]

    async def _rollback_one(self, i: int) -> None:
        node = self.graph.nodes[self.graph.ids[i]]
        step = node.step
        if not isinstance(step, Rollbackable):
            return
        ctx = node_context(self.env, node.host, step.name, dry_run=False)
        try:
            async with self._channels, asyncio.timeout(step.timeout if step.timeout > 0 else None):
                await step.rollback(ctx)
            outcome = "rolled back"
        except Exception as exc:  # report and continue with the rest of the chain
            outcome = f"rollback failed: {_describe(exc, step.timeout)}"
        self._rollbacks.append((node.id, outcome))
        self._emit(
            Event(EventKind.ROLLBACK, time.time(), node.id, node.host, step.name, message=outcome)
        )

    # -- events -------------------------------------------------------------------------

    def _emit_outcome(self, out: NodeOutcome) -> None:
        if out.status is Status.FAILED:
            _LOG.error("[%s] %s failed: %s", out.host, out.step, out.message)
            kind = EventKind.NODE_FAILED
        elif out.status is Status.RESUMED:
            kind = EventKind.NODE_SKIPPED
        else:
            kind = EventKind.NODE_FINISHED
        if not self.listeners:
            return
        at = out.finished or time.time()
        dur = out.duration if out.started is not None else None
        self._emit(Event(kind, at, out.node, out.host, out.step, str(out.status), dur, out.message))

    def _emit_retry(self, node: Node, attempt: int, exc: Exception) -> None:
        msg = f"attempt {attempt} failed, retrying: {_describe(exc, node.step.timeout)}"
        _LOG.warning("[%s] %s: %s", node.host, node.step.name, msg)
        self._emit(
            Event(
                EventKind.NODE_RETRY, time.time(), node.id, node.host, node.step.name, message=msg
            )
        )

    def _emit(self, event: Event) -> None:
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # a broken display must not break the run
                _LOG.warning("event listener %r failed", listener, exc_info=True)


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, KubexmError):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g}s"
    _LOG.debug("unexpected error in step", exc_info=exc)
    return f"{type(exc).__name__}: {exc}"


async def run(
    graph: Graph,
    env: HostEnv,
    options: EngineOptions | None = None,
    *,
    store: StateStore | None = None,
    listeners: Iterable[Listener] = (),
) -> RunResult:
    """Execute ``graph`` once; see ``Engine``."""
    return await Engine(graph, env, options, store=store, listeners=listeners).run()
