"""The execution graph and the contracts between planners, steps and the engine."""

from kubexm.plan.contracts import (
    NO_RETRY,
    Executable,
    PlanContext,
    RetryPolicy,
    Rollbackable,
    StepContext,
)
from kubexm.plan.graph import (
    PLAN_HOST,
    Barrier,
    Fragment,
    Graph,
    Node,
    node_id,
    parallel,
    sequence,
)
from kubexm.plan.registry import Registry
from kubexm.plan.render import to_dict, to_dot, to_json, to_text

__all__ = [
    "NO_RETRY",
    "PLAN_HOST",
    "Barrier",
    "Executable",
    "Fragment",
    "Graph",
    "Node",
    "PlanContext",
    "Registry",
    "RetryPolicy",
    "Rollbackable",
    "StepContext",
    "node_id",
    "parallel",
    "sequence",
    "to_dict",
    "to_dot",
    "to_json",
    "to_text",
]
