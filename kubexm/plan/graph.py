"""The execution graph: one node per (step, host), edges say "runs after".

Tasks build ``Fragment`` objects; modules and pipelines merge and link them; the pipeline turns
the result into a validated ``Graph`` for the engine. Node ids are path-style and stable across
runs (``etcd/write-etcd-config@node1``) because the state store keys resume on them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kubexm.errors import PlanError
from kubexm.plan.contracts import NO_RETRY, Executable, RetryPolicy, StepContext

#: Host name of planner-made pseudo nodes (barriers); the engine runs them without a host.
PLAN_HOST = "-"

#: Linking more exits × entries than this goes through one barrier node, so edges stay O(n).
BARRIER_THRESHOLD = 64


def node_id(step_name: str, host: str) -> str:
    """The stable id of ``step_name`` on ``host``: ``etcd/write-etcd-config@node1``."""
    return f"{step_name}@{host}"


@dataclass(eq=False)
class Node:
    """One step on one host; ``deps`` holds the ids this node waits for (ordered, unique)."""

    id: str
    step: Executable
    host: str
    deps: dict[str, None] = field(default_factory=dict)

    def add_dep(self, dep: str) -> None:
        if dep == self.id:
            raise PlanError(f"node {self.id} cannot depend on itself", "remove the self edge")
        self.deps[dep] = None


@dataclass(frozen=True)
class Barrier:
    """A no-op node that joins many exits to many entries with n + m edges instead of n × m."""

    name: str
    title: str = "wait for the previous stage on every host"
    bulk: bool = False
    serial_group: str | None = None
    timeout: float = 0.0
    retry: RetryPolicy = NO_RETRY

    def describe(self) -> str:
        return self.title

    def fingerprint(self) -> str:
        return "barrier"

    async def check(self, ctx: StepContext) -> bool:
        return True

    async def run(self, ctx: StepContext) -> None:
        return None


class Fragment:
    """A sub-graph with entry nodes (no dependency inside it) and exit nodes (no dependant).

    Dependencies on ids outside the fragment are allowed while planning; ``Graph`` rejects
    the ones that never get a node.
    """

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.nodes: dict[str, Node] = {}

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def add(
        self, step: Executable, host: str, *, after: Iterable[str] = (), id: str | None = None
    ) -> str:
        """Add ``step`` on ``host`` after the nodes ``after``; returns the node id.

        Raises ``PlanError`` when the id is already in the fragment.
        """
        nid = id or node_id(step.name, host)
        if nid in self.nodes:
            raise PlanError(
                f"duplicate node id {nid} in {self.name or 'fragment'}",
                "give the step a distinct name or id per host",
            )
        node = Node(nid, step, host)
        for dep in after:
            node.add_dep(dep)
        self.nodes[nid] = node
        return nid

    def add_edge(self, before: str, after: str) -> None:
        """Make node ``after`` wait for ``before``. Raises ``PlanError`` if ``after`` is unknown."""
        if after not in self.nodes:
            raise PlanError(f"cannot add edge {before} -> {after}: no node {after}")
        self.nodes[after].add_dep(before)

    def chain(self, steps: Iterable[tuple[Executable, str]]) -> list[str]:
        """Add the steps in order, each after the previous one; returns their ids."""
        ids: list[str] = []
        for step, host in steps:
            ids.append(self.add(step, host, after=ids[-1:]))
        return ids

    def entries(self) -> list[str]:
        """Ids of nodes with no dependency inside this fragment."""
        return [n.id for n in self.nodes.values() if not any(d in self.nodes for d in n.deps)]

    def exits(self) -> list[str]:
        """Ids of nodes no other node of this fragment depends on."""
        used = {d for n in self.nodes.values() for d in n.deps}
        return [nid for nid in self.nodes if nid not in used]

    def hosts(self) -> list[str]:
        """Hosts with at least one node, in first-seen order (barrier host excluded)."""
        seen = {n.host: None for n in self.nodes.values() if n.host != PLAN_HOST}
        return list(seen)

    def merge(self, other: Fragment) -> None:
        """Take every node of ``other`` unlinked. Raises ``PlanError`` on an id collision."""
        clash = self.nodes.keys() & other.nodes.keys()
        if clash:
            first = sorted(clash)[0]
            raise PlanError(
                f"duplicate node id {first} when merging {other.name or 'a fragment'} "
                f"into {self.name or 'a fragment'}",
                "two tasks plan the same step on the same host; give one a distinct name",
            )
        self.nodes.update(other.nodes)

    def then(self, other: Fragment, *, per_host: bool = False) -> None:
        """Merge ``other`` so that its entries run after this fragment's exits.

        By default every entry waits for every exit (through a barrier node when that would
        be many edges). With ``per_host`` an entry on host h waits only for exits on h, or
        for all exits when this fragment has none on h; use it only when ``other`` has no
        cross-host dependency on this fragment.
        """
        exits, entries = self.exits(), other.entries()
        self.merge(other)
        if not exits or not entries:
            return
        if per_host:
            self._link_per_host(exits, entries)
        elif len(exits) * len(entries) > BARRIER_THRESHOLD:
            self._link_through_barrier(exits, entries, other.name)
        else:
            for entry in entries:
                for ex in exits:
                    self.nodes[entry].add_dep(ex)

    def _link_per_host(self, exits: list[str], entries: list[str]) -> None:
        by_host: dict[str, list[str]] = {}
        for ex in exits:
            by_host.setdefault(self.nodes[ex].host, []).append(ex)
        for entry in entries:
            node = self.nodes[entry]
            for ex in by_host.get(node.host, exits):
                node.add_dep(ex)

    def _link_through_barrier(self, exits: list[str], entries: list[str], label: str) -> None:
        base = f"{label or self.name or 'stage'}/barrier"
        name, n = base, 1
        while node_id(name, PLAN_HOST) in self.nodes:
            n += 1
            name = f"{base}-{n}"
        bid = self.add(Barrier(name), PLAN_HOST, after=exits)
        for entry in entries:
            self.nodes[entry].add_dep(bid)


def sequence(
    name: str, fragments: Iterable[Fragment | None], *, per_host: bool = False
) -> Fragment:
    """Link fragments one after another into a new fragment; ``None`` and empty ones are skipped."""
    out = Fragment(name)
    for frag in fragments:
        if frag is not None and len(frag):
            out.then(frag, per_host=per_host)
    return out


def parallel(name: str, fragments: Iterable[Fragment | None]) -> Fragment:
    """Merge fragments side by side without edges between them."""
    out = Fragment(name)
    for frag in fragments:
        if frag is not None:
            out.merge(frag)
    return out


class Graph:
    """A validated graph, ready for the engine.

    Construction raises ``PlanError`` for dangling edges and cycles. The integer arrays
    (``ids``, ``deps_of``, ``dependants_of``) let the engine keep O(edges) bookkeeping.
    """

    def __init__(self, name: str, nodes: Iterable[Node]) -> None:
        self.name = name
        self.nodes: dict[str, Node] = {}
        for node in nodes:
            if node.id in self.nodes:
                raise PlanError(f"duplicate node id {node.id} in plan {name}")
            self.nodes[node.id] = node
        self.ids: list[str] = list(self.nodes)
        self.index: dict[str, int] = {nid: i for i, nid in enumerate(self.ids)}
        self.deps_of: list[list[int]] = [self._dep_indices(n) for n in self.nodes.values()]
        self.dependants_of: list[list[int]] = [[] for _ in self.ids]
        for i, deps in enumerate(self.deps_of):
            for d in deps:
                self.dependants_of[d].append(i)
        self.order: list[str] = self._topological_order()

    @classmethod
    def from_fragment(cls, fragment: Fragment, name: str | None = None) -> Graph:
        return cls(name or fragment.name, fragment.nodes.values())

    def __len__(self) -> int:
        return len(self.nodes)

    def hosts(self) -> list[str]:
        """Hosts with at least one node, in first-seen order (barrier host excluded)."""
        return list({n.host: None for n in self.nodes.values() if n.host != PLAN_HOST})

    def dependants(self, nid: str) -> list[str]:
        return [self.ids[i] for i in self.dependants_of[self.index[nid]]]

    def _dep_indices(self, node: Node) -> list[int]:
        missing = [d for d in node.deps if d not in self.nodes]
        if missing:
            raise PlanError(
                f"node {node.id} depends on unknown node {missing[0]}",
                "the dependency was never planned; check the task that links them",
            )
        return [self.index[d] for d in node.deps]

    def _topological_order(self) -> list[str]:
        indeg = [len(d) for d in self.deps_of]
        ready = deque(i for i, n in enumerate(indeg) if n == 0)
        order: list[str] = []
        while ready:
            i = ready.popleft()
            order.append(self.ids[i])
            for j in self.dependants_of[i]:
                indeg[j] -= 1
                if indeg[j] == 0:
                    ready.append(j)
        if len(order) != len(self.ids):
            cycle = self._find_cycle({i for i, n in enumerate(indeg) if n > 0})
            raise PlanError(
                f"plan {self.name} has a cycle: {' -> '.join(cycle)}",
                "one of these nodes must not depend on the other; fix the task linking",
            )
        return order

    def _find_cycle(self, stuck: set[int]) -> list[str]:
        # Every stuck node has a stuck dependency, so walking deps must revisit a node.
        start = min(stuck)
        seen: dict[int, int] = {}
        path: list[int] = []
        cur = start
        while cur not in seen:
            seen[cur] = len(path)
            path.append(cur)
            cur = next(d for d in self.deps_of[cur] if d in stuck)
        loop = [*path[seen[cur] :], cur]
        return [self.ids[i] for i in reversed(loop)]
