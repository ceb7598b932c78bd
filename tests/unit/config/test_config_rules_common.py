from kubexm.config.rules_common import Findings, plural
from kubexm.errors import FieldProblem


def test_findings_collect_errors_and_warnings() -> None:
    found = Findings()
    found.error("spec.x", "bad", "fix it")
    found.warn("spec.y", "odd")
    found.warn("", "general")
    assert found.problems == [FieldProblem("spec.x", "bad", "fix it")]
    assert found.warnings == ["spec.y: odd", "general"]
    assert found.allow_unsupported is False


def test_plural() -> None:
    assert plural(1, "master") == "1 master"
    assert plural(4, "master") == "4 masters"
