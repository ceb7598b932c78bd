"""Text, JSON and DOT output of a plan."""

from __future__ import annotations

import json

from plan_fakes import Fake

from kubexm.plan import Fragment, Graph, sequence, to_dict, to_dot, to_json, to_text


def _graph() -> Graph:
    pki, etcd = Fragment("pki"), Fragment("etcd")
    pki.add(Fake("pki/write-ca", title="Write CA"), "control")
    etcd.chain([(Fake("etcd/install"), "node1"), (Fake("etcd/start"), "node1")])
    return Graph.from_fragment(sequence("create", [pki, etcd]), "create")


def test_text_plan_lists_steps_per_host_with_remote_deps() -> None:
    text = to_text(_graph(), {"etcd/start@node1": "would change"})
    assert text.splitlines() == [
        "plan create: 3 steps on 2 hosts",
        "control (1 steps)",
        "    1. pki/write-ca  Write CA (pki/write-ca)",
        "node1 (2 steps)",
        "    1. etcd/install  Do a thing (etcd/install)",
        "       after pki/write-ca@control",
        "    2. [would change] etcd/start  Do a thing (etcd/start)",
    ]


def test_text_plan_names_barriers_by_stage() -> None:
    a, b = Fragment("a"), Fragment("b")
    for h in range(9):
        a.add(Fake("a/x"), f"n{h}")
        b.add(Fake("b/y"), f"n{h}")
    text = to_text(Graph.from_fragment(sequence("p", [a, b]), "p"))
    assert "after all of b" in text


def test_json_plan_has_nodes_in_run_order() -> None:
    doc = json.loads(to_json(_graph()))
    assert doc == to_dict(_graph())
    assert [n["id"] for n in doc["nodes"]] == [
        "pki/write-ca@control",
        "etcd/install@node1",
        "etcd/start@node1",
    ]
    assert doc["nodes"][2]["deps"] == ["etcd/install@node1"]
    assert doc["nodes"][0]["fingerprint"] == "pki/write-ca"


def test_dot_output_clusters_hosts_and_draws_edges() -> None:
    dot = to_dot(_graph())
    assert dot.startswith('digraph "create" {')
    assert 'label="node1";' in dot
    assert '"etcd/install@node1" -> "etcd/start@node1";' in dot
    assert dot.rstrip().endswith("}")
