"""PreflightPipeline and its report: every failing check of every host in one run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kubexm.config import load_text
from kubexm.connector.base import Result
from kubexm.connector.simulated import SimulatedConnection
from kubexm.engine import Engine, RunResult, RunStatus, StaticEnv, Status
from kubexm.engine.result import NodeOutcome
from kubexm.pipeline.base import PIPELINES
from kubexm.pipeline.preflight import (
    CONTROL_HOST,
    PreflightPipeline,
    PreflightReport,
    Problem,
    bundle_problems,
    collect_report,
)
from kubexm.plan import Graph
from kubexm.runner.facts import Facts
from kubexm.runtime import facts_mapping

CONFIG = """\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: pf}
spec:
  global: {user: ops, password: "s3cret-pass"}
  hosts:
    - {name: m1, address: 10.0.0.11}
    - {name: w1, address: 10.0.0.21}
  roleGroups: {master: [m1], worker: [w1]}
  kubernetes: {type: kubeadm, version: v1.36.4, kubeProxy: {mode: iptables}}
  etcd: {type: kubeadm}
"""
CLEAN_PROBE = "@@modules\noverlay loaded\nbr_netfilter loaded\n@@varlib\n/d 1 1 99999999 1% /\n"


def _facts(name: str, ip: str, **over: object) -> Mapping[str, object]:
    base = Facts(
        os_id="debian", os_version="12", arch="amd64", kernel="6.1.0", cgroup_version=2,
        init_system="systemd", cpus=4, memory_mib=8000, hostname=name, default_ipv4=ip,
    )  # fmt: skip
    return {**facts_mapping(base), **over}


@dataclass
class Plan:
    config: object
    host_facts: Mapping[str, Mapping[str, object]]

    def hosts_with_role(self, role: str) -> Sequence[str]:
        return []

    def facts(self, host: str) -> Mapping[str, object]:
        return self.host_facts.get(host, {})


async def _run(
    probes: Mapping[str, str], facts: Mapping[str, Mapping[str, object]]
) -> tuple[Graph, RunResult, StaticEnv]:
    cluster = load_text(CONFIG, source="t.yaml").cluster
    conns: dict[str, SimulatedConnection] = {}
    for name, probe in probes.items():
        conns[name] = SimulatedConnection(name)
        conns[name].add_rule("@@fstab", Result(0, probe, ""))
    env = StaticEnv(conns, facts)
    graph = PreflightPipeline().plan(Plan(cluster, facts))
    result = await Engine(graph, env).run()
    return graph, result, env


async def test_clean_hosts_give_an_empty_report() -> None:
    facts = {"m1": _facts("m1", "10.0.0.11"), "w1": _facts("w1", "10.0.0.21")}
    graph, result, env = await _run({"m1": CLEAN_PROBE, "w1": CLEAN_PROBE}, facts)
    report = collect_report(graph, result, env)
    assert result.ok and report.ok and report.problems == []
    assert (report.hosts, report.checks) == (2, len(graph))


async def test_every_problem_of_every_host_is_reported_in_one_run() -> None:
    facts = {
        "m1": _facts("m1", "10.0.0.11", cpus=1, swap_active=True),
        "w1": _facts("w1", "10.0.0.21", clock_offset_s=30.0),
    }
    w1_probe = (
        CLEAN_PROBE + '@@ports\nLISTEN 0 5 0.0.0.0:10250 0.0.0.0:* users:(("nc",pid=3,fd=3))\n'
    )
    graph, result, env = await _run({"m1": CLEAN_PROBE, "w1": w1_probe}, facts)
    report = collect_report(graph, result, env)
    assert result.status is RunStatus.FAILED and not report.ok
    found = {(p.host, p.check, p.level) for p in report.problems}
    assert found == {
        ("m1", "cpu", "error"),
        ("m1", "swap", "warning"),
        ("w1", "clock", "error"),
        ("w1", "ports", "error"),
    }
    ports = next(p for p in report.problems if p.check == "ports")
    assert ports.message == "ports in use: 10250 (nc)"
    assert ports.fix.startswith("stop the process")
    lines = report.lines()
    assert lines[-1].startswith("warning: [m1] swap:")
    assert all(line.startswith("error: ") for line in lines[:-1])
    assert report.summary().endswith("3 errors, 1 warnings")


def test_stopped_checks_are_reported_as_not_checked() -> None:
    result = RunResult("r", "preflight", RunStatus.INTERRUPTED, 0.0, 1.0, False)
    cluster = load_text(CONFIG, source="t.yaml").cluster
    graph = PreflightPipeline().plan(Plan(cluster, {"m1": _facts("m1", "10.0.0.1")}))
    result.outcomes = {
        nid: NodeOutcome(nid, "m1", "preflight/check-host", Status.NOT_STARTED) for nid in graph.ids
    }
    report = collect_report(graph, result, StaticEnv({}))
    assert len(report.errors) == len(graph)
    assert "not checked" in report.errors[0].message


def test_report_dict_counts_errors_and_warnings() -> None:
    report = PreflightReport(
        2,
        10,
        [Problem("a", "cpu", "error", "1 CPUs", "add CPUs"), Problem("b", "swap", "warning", "on")],
    )
    doc = report.to_dict()
    assert (doc["ok"], doc["errors"], doc["warnings"]) == (False, 1, 1)
    assert doc["problems"][0] == {
        "host": "a", "check": "cpu", "level": "error", "message": "1 CPUs", "fix": "add CPUs",
    }  # fmt: skip
    assert report.problems[1].line() == "[b] swap: on"


def test_missing_bundle_is_one_problem_on_the_control_machine(tmp_path: Path) -> None:
    cluster = load_text(CONFIG, source="t.yaml").cluster
    problems = bundle_problems(cluster, tmp_path / "nope.tar.gz")
    assert len(problems) == 1
    assert problems[0].host == CONTROL_HOST and problems[0].check == "bundle"
    assert problems[0].level == "error"


def test_not_a_bundle_is_reported_with_how_to_build_one(tmp_path: Path) -> None:
    bogus = tmp_path / "bundle.tar.gz"
    bogus.write_bytes(b"not a tarball")
    problems = bundle_problems(load_text(CONFIG, source="t.yaml").cluster, bogus)
    assert len(problems) == 1 and problems[0].fix


def test_pipeline_is_registered() -> None:
    assert PIPELINES.get("preflight") is PreflightPipeline
