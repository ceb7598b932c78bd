"""Fragments, linking and graph validation."""

from __future__ import annotations

import pytest
from plan_fakes import Fake

from kubexm.errors import PlanError
from kubexm.plan import PLAN_HOST, Fragment, Graph, Node, node_id, parallel, sequence


def test_node_ids_are_path_style_with_host() -> None:
    assert node_id("etcd/write-etcd-config", "node1") == "etcd/write-etcd-config@node1"
    frag = Fragment("etcd")
    assert frag.add(Fake("etcd/write-etcd-config"), "node1") == "etcd/write-etcd-config@node1"


def test_entries_and_exits_of_a_fragment() -> None:
    frag = Fragment("f")
    ids = frag.chain([(Fake("a/one"), "n1"), (Fake("a/two"), "n1")])
    other = frag.add(Fake("a/solo"), "n2")
    assert frag.entries() == [ids[0], other]
    assert frag.exits() == [ids[1], other]
    assert frag.hosts() == ["n1", "n2"]


@pytest.mark.parametrize(
    ("action", "match"),
    [
        (lambda f: f.add(Fake("a/one"), "n1"), "duplicate node id a/one@n1"),
        (lambda f: f.add_edge("a/one@n1", "nope@n1"), "no node nope@n1"),
        (lambda f: f.nodes["a/one@n1"].add_dep("a/one@n1"), "cannot depend on itself"),
    ],
    ids=["duplicate", "edge-to-unknown", "self-edge"],
)
def test_fragment_rejects_bad_edits(action: object, match: str) -> None:
    frag = Fragment("f")
    frag.add(Fake("a/one"), "n1")
    with pytest.raises(PlanError, match=match):
        action(frag)  # type: ignore[operator]  # parametrized lambdas


def test_merge_collision_names_both_fragments() -> None:
    a, b = Fragment("etcd"), Fragment("runtime")
    a.add(Fake("x/y"), "n1")
    b.add(Fake("x/y"), "n1")
    with pytest.raises(PlanError, match="duplicate node id x/y@n1 when merging runtime into etcd"):
        a.merge(b)


def test_then_links_all_exits_to_all_entries_when_small() -> None:
    a, b = Fragment("a"), Fragment("b")
    a.add(Fake("a/x"), "n1")
    a.add(Fake("a/x"), "n2")
    b.add(Fake("b/y"), "n1")
    a.then(b)
    assert list(a.nodes["b/y@n1"].deps) == ["a/x@n1", "a/x@n2"]


def test_then_uses_a_barrier_for_large_links() -> None:
    a, b = Fragment("a"), Fragment("b")
    for h in range(10):
        a.add(Fake("a/x"), f"n{h}")
        b.add(Fake("b/y"), f"n{h}")
    a.then(b)
    barrier = node_id("b/barrier", PLAN_HOST)
    assert list(a.nodes["b/y@n3"].deps) == [barrier]
    assert len(a.nodes[barrier].deps) == 10
    graph = Graph.from_fragment(a)
    assert graph.hosts() == [f"n{h}" for h in range(10)]


def test_per_host_then_links_within_a_host_only() -> None:
    a, b = Fragment("a"), Fragment("b")
    a.add(Fake("a/x"), "n1")
    a.add(Fake("a/x"), "n2")
    b.add(Fake("b/y"), "n1")
    b.add(Fake("b/y"), "n3")
    a.then(b, per_host=True)
    assert list(a.nodes["b/y@n1"].deps) == ["a/x@n1"]
    assert list(a.nodes["b/y@n3"].deps) == ["a/x@n1", "a/x@n2"]


def test_sequence_skips_none_and_parallel_merges_side_by_side() -> None:
    a, b = Fragment("a"), Fragment("b")
    a.add(Fake("a/x"), "n1")
    b.add(Fake("b/y"), "n1")
    seq = sequence("s", [a, None, Fragment("empty"), b])
    assert list(seq.nodes["b/y@n1"].deps) == ["a/x@n1"]
    a2, b2 = Fragment("a"), Fragment("b")
    a2.add(Fake("a/x"), "n1")
    b2.add(Fake("b/y"), "n1")
    par = parallel("p", [a2, None, b2])
    assert par.entries() == ["a/x@n1", "b/y@n1"]


def test_graph_orders_topologically_and_lists_dependants() -> None:
    frag = Fragment("f")
    first = frag.add(Fake("a/one"), "n1")
    frag.add(Fake("a/two"), "n1", after=[first])
    frag.add(Fake("a/three"), "n2", after=[first])
    graph = Graph.from_fragment(frag, "g")
    assert graph.order[0] == first
    assert graph.dependants(first) == ["a/two@n1", "a/three@n2"]
    assert len(graph) == 3


def test_graph_rejects_dangling_edges() -> None:
    frag = Fragment("f")
    frag.add(Fake("a/one"), "n1", after=["ghost@n1"])
    with pytest.raises(PlanError, match="depends on unknown node ghost@n1"):
        Graph.from_fragment(frag)


def test_graph_reports_a_cycle_path() -> None:
    frag = Fragment("f")
    frag.add(Fake("a/one"), "n1", after=["a/three@n1"])
    frag.add(Fake("a/two"), "n1", after=["a/one@n1"])
    frag.add(Fake("a/three"), "n1", after=["a/two@n1"])
    frag.add(Fake("a/free"), "n1")
    with pytest.raises(PlanError, match="has a cycle") as err:
        Graph.from_fragment(frag, "g")
    cycle = err.value.message.split(": ", 1)[1].split(" -> ")
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"a/one@n1", "a/two@n1", "a/three@n1"}


def test_graph_rejects_duplicate_ids_in_a_node_list() -> None:
    node = Node("a/x@n1", Fake("a/x"), "n1")
    with pytest.raises(PlanError, match="duplicate node id a/x@n1"):
        Graph("g", [node, Node("a/x@n1", Fake("a/x"), "n1")])
