"""Shared pieces of the CNI, DNS, add-on and post-check step tests: configs, goldens, and a
fake API server and helm answering on one fake first master."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from fakeconn import FakeConnection

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import load_text
from kubexm.connector.base import Result
from kubexm.util.yamlio import load_yaml_plain

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
STANDINS = Path(__file__).resolve().parents[2] / "e2e" / "standins" / "manifests"

BASE = """apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: t}
spec:
  global: {user: root, password: pw}
  hosts:
    - {name: m1, address: 10.0.0.1}
    - {name: w1, address: 10.0.0.2}
  roleGroups: {master: [m1], etcd: [m1], worker: [w1]}
"""


def cluster(extra: str = "", *, version: str = "") -> Cluster:
    """A two-node config (m1 master, w1 worker) with ``extra`` YAML under ``spec``."""
    text = BASE + extra
    if version:
        text += f"  kubernetes: {{version: {version}}}\n"
    return load_text(text, source="t.yaml").cluster


def golden(area: str, name: str, text: str) -> None:
    """Compare with tests/golden/<area>/<name>; KUBEXM_UPDATE_GOLDEN=1 rewrites on purpose."""
    path = GOLDEN / area / name
    if os.environ.get("KUBEXM_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


_KUBECTL = re.compile(r"kubectl --kubeconfig \S+ (\w+)")


@dataclass
class FakeApi:
    """kubectl diff/apply against a set of applied manifests, and canned get answers."""

    applied: list[str] = field(default_factory=list)
    gets: dict[str, str] = field(default_factory=dict)
    broken: bool = False

    def install(self, fake: FakeConnection) -> None:
        fake.script(r"kubectl --kubeconfig \S+ (diff|apply|get)", self.answer, regex=True)

    def answer(self, cmd: str, fake: FakeConnection) -> Result:
        match = _KUBECTL.search(cmd)
        verb = match.group(1) if match else ""
        stdin = fake.stdins[-1]
        text = stdin.decode() if isinstance(stdin, bytes) else (stdin or "")
        if self.broken:
            return Result(2, "", "error: the server could not be reached")
        if verb == "diff":
            return Result(0 if text in self.applied else 1, "", "")
        if verb == "apply":
            self.applied.append(text)
            return Result(0, "configured\n", "")
        for key, out in self.gets.items():
            if key in cmd:
                return Result(0, out, "")
        raise AssertionError(f"unexpected kubectl call: {cmd}")


@dataclass
class Release:
    chart: str
    status: str
    values: object


@dataclass
class FakeHelm:
    """helm list / get values / upgrade --install with a store of releases.

    ``charts`` maps the chart argument of ``upgrade --install`` to the ``name-version`` helm
    reports for it.
    """

    charts: dict[str, str]
    releases: dict[tuple[str, str], Release] = field(default_factory=dict)
    installs: list[str] = field(default_factory=list)

    def install(self, fake: FakeConnection) -> None:
        fake.script(r"(^|\s)helm --kubeconfig", self.answer, regex=True)

    def answer(self, cmd: str, fake: FakeConnection) -> Result:
        args = cmd.split(" helm --kubeconfig ", 1)[1].split()[1:]
        ns = args[args.index("-n") + 1]
        if args[0] == "list":
            name = args[args.index("--filter") + 1].strip("'^$")
            rel = self.releases.get((ns, name))
            items = [{"name": name, "chart": rel.chart, "status": rel.status}] if rel else []
            return Result(0, json.dumps(items), "")
        if args[:2] == ["get", "values"]:
            return Result(0, json.dumps(self.releases[(ns, args[2])].values), "")
        if args[:2] == ["upgrade", "--install"]:
            self.installs.append(cmd)
            values = load_yaml_plain(fake.text(args[args.index("-f") + 1]))
            self.releases[(ns, args[2])] = Release(self.charts[args[3]], "deployed", values)
            return Result(0, "", "")
        raise AssertionError(f"unexpected helm call: {cmd}")


def node(name: str, ready: bool = True, message: str = "") -> dict[str, object]:
    """One node of ``kubectl get nodes -o json``."""
    condition = {"type": "Ready", "status": "True" if ready else "False", "message": message}
    return {"metadata": {"name": name}, "status": {"conditions": [condition]}}


def items(*objects: object) -> str:
    return json.dumps({"items": list(objects)})
