"""Atomic, idempotent units of work: ``check`` → ``run`` (→ optional ``rollback``)."""

from kubexm.plan import NO_RETRY, RetryPolicy, Rollbackable, StepContext
from kubexm.step.base import STEPS, Step, register_step

__all__ = [
    "NO_RETRY",
    "STEPS",
    "RetryPolicy",
    "Rollbackable",
    "Step",
    "StepContext",
    "register_step",
]
