"""The preflight module: every host checked in one parallel pass before anything changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kubexm.module.base import Module, register_module
from kubexm.plan import PlanContext
from kubexm.task import Task
from kubexm.task.preflight import PreflightCheckTask


@register_module
@dataclass
class PreflightModule(Module):
    """Checks SSH/sudo, OS, kernel, resources, ports, clocks, leftovers... on every host.

    ``skip`` names checks to leave out (on top of ``spec.preflight.skipChecks``);
    ``leftovers_fatal`` False turns files of an earlier install into warnings (a resumed run).
    """

    name = "preflight"
    description = "check every host before anything is installed"

    skip: frozenset[str] = field(default_factory=frozenset)
    leftovers_fatal: bool = True

    def tasks(self, ctx: PlanContext) -> Sequence[Task]:
        return [PreflightCheckTask(skip=self.skip, leftovers_fatal=self.leftovers_fatal)]
