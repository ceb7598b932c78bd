"""PreflightModule: one task, options passed through."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kubexm.config import load_text
from kubexm.module.base import MODULES
from kubexm.module.preflight import PreflightModule
from kubexm.task.preflight import PreflightCheckTask

CONFIG = """\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: pf}
spec:
  global: {user: ops, password: "s3cret-pass"}
  hosts: [{name: n1, address: 10.0.0.11}]
  roleGroups: {master: [n1], worker: [n1]}
  etcd: {type: kubeadm}
"""


@dataclass
class Plan:
    config: object

    def hosts_with_role(self, role: str) -> Sequence[str]:
        return []

    def facts(self, host: str) -> Mapping[str, object]:
        return {"hostname": host}


def test_module_passes_skip_and_leftovers_policy_to_its_task() -> None:
    plan = Plan(load_text(CONFIG, source="t.yaml").cluster)
    module = PreflightModule(skip=frozenset({"cpu"}), leftovers_fatal=False)
    (task,) = module.tasks(plan)
    assert isinstance(task, PreflightCheckTask)
    assert task.skip == {"cpu"} and task.leftovers_fatal is False
    fragment = module.plan(plan)
    assert fragment is not None
    assert "preflight/cpu@n1" not in fragment.nodes
    assert "preflight/memory@n1" in fragment.nodes
    assert MODULES.get("preflight") is PreflightModule
