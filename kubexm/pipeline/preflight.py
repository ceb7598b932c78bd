"""``kubexm preflight``: the preflight module on its own, and the report of its run.

The report has one line per problem, ``[host] check: message (fix: ...)``, errors before
warnings, grouped by check. Checks made on this machine (the offline bundle) are reported
under the host name ``control``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.engine import HostEnv, RunResult, Status
from kubexm.errors import ArtifactError
from kubexm.module import Module
from kubexm.module.preflight import PreflightModule
from kubexm.pipeline.base import Pipeline, register_pipeline
from kubexm.plan import Graph, PlanContext
from kubexm.resource.bundle_verify import verify_bundle
from kubexm.resource.resolve import resolve_artifacts
from kubexm.step.preflight import WARNINGS_KEY, CheckHost, Finding
from kubexm.step.preflight.rules import Level

CONTROL_HOST = "control"
BUNDLE_CHECK = "bundle"
_HINT = " (hint: "


@dataclass(frozen=True)
class Problem:
    """One problem of one check on one host."""

    host: str
    check: str
    level: Level
    message: str
    fix: str = ""

    def line(self) -> str:
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"[{self.host}] {self.check}: {self.message}{fix}"


@dataclass
class PreflightReport:
    """Every problem found in one preflight run; ``ok`` when none is an error."""

    hosts: int
    checks: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        """The problem lines: errors first, then warnings, each grouped by check."""
        ordered = sorted(self.problems, key=lambda p: (p.level != "error", p.check, p.host))
        return [f"{p.level}: {p.line()}" for p in ordered]

    def summary(self) -> str:
        return (
            f"preflight: {self.hosts} hosts, {self.checks} checks: "
            f"{len(self.errors)} errors, {len(self.warnings)} warnings"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "hosts": self.hosts,
            "checks": self.checks,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [asdict(p) for p in self.problems],
        }


@register_pipeline
@dataclass
class PreflightPipeline(Pipeline):
    """Only the preflight module; see ``PreflightModule`` for ``skip`` and
    ``leftovers_fatal``."""

    name = "preflight"
    description = "check every host and report every problem at once"

    skip: frozenset[str] = field(default_factory=frozenset)
    leftovers_fatal: bool = True

    def modules(self, ctx: PlanContext) -> Sequence[Module]:
        return [PreflightModule(skip=self.skip, leftovers_fatal=self.leftovers_fatal)]


def _split(message: str) -> tuple[str, str]:
    head, sep, tail = message.rpartition(_HINT)
    return (head, tail.removesuffix(")")) if sep else (message, "")


def _failure(host: str, item: str, status: Status, message: str) -> Problem | None:
    if status is Status.FAILED:
        text, fix = _split(message)
        return Problem(host, item, "error", text, fix)
    if status in (Status.BLOCKED, Status.NOT_STARTED):
        return Problem(host, item, "error", "not checked: the run stopped first", "run it again")
    return None


def collect_report(
    graph: Graph, result: RunResult, env: HostEnv, extra: Iterable[Problem] = ()
) -> PreflightReport:
    """The report of a preflight run: failed checks as errors, warnings from each host's
    cache (``WARNINGS_KEY``), and ``extra`` problems found on this machine."""
    problems = list(extra)
    checks = [(n.id, n.host, n.step) for n in graph.nodes.values() if isinstance(n.step, CheckHost)]
    for nid, host, step in checks:
        outcome = result.outcomes.get(nid)
        if outcome is not None:
            found = _failure(host, step.item, outcome.status, outcome.message)
            problems.extend([found] if found else [])
    for host in graph.hosts():
        warnings: dict[str, Finding] = env.cache(host).get(WARNINGS_KEY) or {}
        problems.extend(
            Problem(host, item, f.level, f.message, f.fix) for item, f in warnings.items()
        )
    return PreflightReport(len(graph.hosts()), len(checks), problems)


def bundle_problems(
    cluster: Cluster, bundle: Path, *, allow_standins: bool = False
) -> list[Problem]:
    """What the offline bundle lacks for ``cluster`` (files, images, digests), one problem
    each; an unreadable bundle or an unresolvable artifact list is one problem."""
    return bundle_check(cluster, bundle, allow_standins=allow_standins)[0]


def bundle_check(
    cluster: Cluster, bundle: Path, *, allow_standins: bool = False
) -> tuple[list[Problem], tuple[str, ...]]:
    """``bundle_problems`` and the bundle's files labelled stand-in. Each stand-in is an error
    unless ``allow_standins``; then one warning says how many were accepted."""
    fix = f"rebuild it with: kubexm download -f <config> -o {bundle}"
    try:
        report = verify_bundle(bundle, resolve_artifacts(cluster), allow_standins=allow_standins)
    except ArtifactError as exc:
        return [Problem(CONTROL_HOST, BUNDLE_CHECK, "error", exc.message, exc.hint or fix)], ()
    except OSError as exc:
        reason = f"cannot read {bundle}: {exc.strerror or exc}"
        problem = Problem(CONTROL_HOST, BUNDLE_CHECK, "error", reason, "check the --bundle path")
        return [problem], ()
    fixes = {"stand-in": _STANDIN_FIX}
    problems = [
        Problem(CONTROL_HOST, BUNDLE_CHECK, "error", str(p), fixes.get(p.kind, fix))
        for p in report.problems
    ]
    if allow_standins and report.standins:
        problems.append(_standins_accepted(len(report.standins)))
    return problems, report.standins


_STANDIN_FIX = "a bundle built by `kubexm download` holds no stand-ins"


def _standins_accepted(count: int) -> Problem:
    files = "1 file is" if count == 1 else f"{count} files are"
    message = (
        f"{files} labelled stand-in and accepted (--allow-standins): their pinned digests "
        "are not checked"
    )
    fix = "use a bundle built by `kubexm download` for a real cluster"
    return Problem(CONTROL_HOST, BUNDLE_CHECK, "warning", message, fix)
