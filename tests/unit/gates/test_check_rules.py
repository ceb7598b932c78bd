"""Unit tests of scripts/check_rules.py: ERROR-level logging and rich.console placement."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "check_rules.py"


def load_script() -> ModuleType:
    """Import the script as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("check_rules_under_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


rules = load_script()


def expression(text: str) -> ast.expr:
    """Parse one expression."""
    return ast.parse(text, mode="eval").body


def findings(root: Path, area: str, source: str) -> list[str]:
    """Findings for *source* planted as kubexm/<area>/planted.py under *root*."""
    path = root / "kubexm" / area / "planted.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    (root / "kubexm" / "py.typed").touch()
    path.write_text(source, encoding="utf-8")
    return [str(finding) for finding in rules.run(root)]


@pytest.mark.parametrize(
    ("receiver", "expected"),
    [
        pytest.param("log", True, id="log"),
        pytest.param("_LOG", True, id="module-constant"),
        pytest.param("self._logger", True, id="private-attribute"),
        pytest.param("self.run_logger.bind(host=h)", True, id="bound-adapter"),
        pytest.param("logging", True, id="root-logger-functions"),
        pytest.param("logging.getLogger(__name__)", True, id="getLogger-call"),
        pytest.param("policy", False, id="error-factory"),
        pytest.param("catalog", False, id="word-ending-in-log"),
        pytest.param("result", False, id="plain-object"),
    ],
)
def test_is_logger_recognises_logger_names(receiver: str, expected: bool) -> None:
    assert rules.is_logger(expression(receiver)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("logging.ERROR", True, id="error"),
        pytest.param("logging.CRITICAL", True, id="critical"),
        pytest.param("logging.WARNING", False, id="warning"),
        pytest.param("40", True, id="number-40"),
        pytest.param("30", False, id="number-30"),
        pytest.param("True", False, id="bool-is-not-a-level"),
        pytest.param("levels.ERROR", False, id="other-namespace"),
    ],
)
def test_is_level_constant(text: str, expected: bool) -> None:
    assert rules.is_level_constant(expression(text)) is expected


LOGGING = "import logging\n\n_log = logging.getLogger(__name__)\n"


@pytest.mark.parametrize(
    ("area", "source", "expected"),
    [
        pytest.param("runner", LOGGING + "_log.error('x')\n", [4], id="runner-error"),
        pytest.param("runner", LOGGING + "_log.critical('x')\n", [4], id="runner-critical"),
        pytest.param("runner", LOGGING + "_log.log(50, 'x')\n", [4], id="runner-log-50"),
        pytest.param("runner", LOGGING + "_log.warning('x')\n", [], id="runner-warning"),
        pytest.param("runner", "policy.error('host')\n", [], id="error-factory"),
        pytest.param("runner", "task.exception()\n", [], id="asyncio-task-exception"),
        pytest.param("cmd", LOGGING + "_log.exception('x')\n", [], id="cmd-may"),
        pytest.param("engine", LOGGING + "_log.log(logging.ERROR, 'x')\n", [], id="engine-may"),
        pytest.param("logger", "import logging\n\nRED = logging.ERROR\n", [], id="logger-level"),
        pytest.param("logger", LOGGING + "_log.error('x')\n", [4], id="logger-may-not-log"),
        pytest.param(
            "logger",
            "def error(self, m):\n    return self.log(logging.ERROR, m)\n",
            [],
            id="logger-adapter-forwards-level",
        ),
        pytest.param(
            "runner",
            "def error(self, m):\n    return self.log(logging.ERROR, m)\n",
            [2],
            id="runner-adapter-may-not",
        ),
        pytest.param("util", "from logging import ERROR, INFO\n", [1], id="import-level-name"),
        pytest.param("util", "from logging import INFO\n", [], id="import-info"),
    ],
)
def test_error_level_logging_only_in_cmd_and_engine(
    tmp_path: Path, area: str, source: str, expected: list[int]
) -> None:
    lines = [int(f.split(":")[1]) for f in findings(tmp_path, area, source)]
    assert sorted(set(lines)) == expected


@pytest.mark.parametrize(
    ("area", "source", "flagged"),
    [
        pytest.param("engine", "import rich.console\n", True, id="import-module"),
        pytest.param("runner", "from rich.console import Console\n", True, id="from-module"),
        pytest.param("step", "from rich import console\n", True, id="from-package"),
        pytest.param("engine", "from rich.progress import Progress\n", False, id="other-rich"),
        pytest.param("logger", "from rich.console import Console\n", False, id="logger-may"),
        pytest.param("cmd", "import rich.console\n", False, id="cmd-may"),
        pytest.param("runner", "from .console import x\n", False, id="relative-import"),
    ],
)
def test_rich_console_only_in_cmd_and_logger(
    tmp_path: Path, area: str, source: str, flagged: bool
) -> None:
    found = findings(tmp_path, area, source)
    assert bool(found) is flagged
    assert all("imports rich.console" in f for f in found)


def test_missing_py_typed_is_a_finding(tmp_path: Path) -> None:
    (tmp_path / "kubexm").mkdir()
    assert [str(f) for f in rules.run(tmp_path)] == [
        "kubexm/py.typed:1: missing: the package must ship py.typed (PEP 561)"
    ]


def test_top_level_module_gets_every_rule(tmp_path: Path) -> None:
    path = tmp_path / "kubexm" / "errors.py"
    path.parent.mkdir(parents=True)
    (tmp_path / "kubexm" / "py.typed").touch()
    path.write_text("import logging\n\nlogging.error('x')\n", encoding="utf-8")
    assert [str(f) for f in rules.run(tmp_path)] == [
        "kubexm/errors.py:3: .error(...) logs at ERROR level; only cmd and engine may"
    ]


def test_unparsable_file_is_a_finding(tmp_path: Path) -> None:
    (finding,) = findings(tmp_path, "runner", "def f(:\n")
    assert finding.startswith("kubexm/runner/planted.py:1: cannot parse: ")


def test_main_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    findings(tmp_path, "runner", "x = 1\n")
    assert rules.main(["--root", str(tmp_path)]) == 0
    findings(tmp_path, "runner", "import rich.console\n")
    assert rules.main(["--root", str(tmp_path)]) == 1
    assert capsys.readouterr().out.startswith("kubexm/runner/planted.py:1: imports rich.console")
