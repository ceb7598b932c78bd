"""Each quality gate passes on a clean fake kubexm and fails on a planted violation.

The fake package is written into a temporary folder together with copies of the real gate
configuration (pyproject.toml, .importlinter) and scripts, so a test runs exactly the commands
scripts/check.sh runs, on a tree small enough to keep the whole file fast.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent

GATES: dict[str, list[str]] = {
    "ruff format": [str(BIN / "ruff"), "format", "--check", "--output-format", "concise", "."],
    "ruff check": [str(BIN / "ruff"), "check", "--no-fix", "--output-format", "concise", "."],
    "mypy": [str(BIN / "mypy"), "--strict", "kubexm"],
    "import contracts": [str(BIN / "lint-imports"), "--no-logo", "--no-cache"],
    "size budgets": [sys.executable, "scripts/check_budgets.py"],
    "layer rules": [sys.executable, "scripts/check_rules.py"],
}

FAKE_PACKAGE: dict[str, str] = {
    "kubexm/__init__.py": '"""Fake kubexm for the gate tests."""\n',
    "kubexm/py.typed": "",
    "kubexm/errors.py": (
        '"""Errors."""\n\n\nclass KubexmError(Exception):\n    """Base of every error."""\n'
    ),
    "kubexm/common/__init__.py": '"""Constants."""\n\nAPI_PORT = 6443\n',
    "kubexm/util/__init__.py": '''"""Helpers."""

from kubexm.errors import KubexmError


def double(value: int) -> int:
    """Twice *value*; raises KubexmError when it is negative."""
    if value < 0:
        raise KubexmError("negative")
    return value * 2
''',
    "kubexm/config/__init__.py": '''"""Config."""

from kubexm.common import API_PORT
from kubexm.util import double


def port() -> int:
    """The doubled API port."""
    return double(API_PORT)
''',
    "kubexm/connector/__init__.py": '"""Connector."""\n',
    "kubexm/connector/ssh.py": '''"""SSH transport."""

import asyncssh


def version() -> str:
    """The asyncssh version."""
    return str(asyncssh.__version__)
''',
    "kubexm/logger/__init__.py": '''"""Logger: may style by level and own a rich Console."""

import logging

from rich.console import Console


def style(level: int) -> str:
    """The style of a record at *level*."""
    return "red" if level >= logging.ERROR else ""


def make_console() -> Console:
    """A console on stderr."""
    return Console(stderr=True)
''',
    "kubexm/runner/__init__.py": '''"""Runner."""

import logging

from kubexm.connector.ssh import version

_log = logging.getLogger(__name__)


def describe(policy: type[Exception]) -> str:
    """Describe the transport; builds (does not log) an error with policy.error."""
    _log.debug("transport %s", version())
    if not version():
        raise policy("no transport")
    return f"asyncssh {version()}"
''',
    "kubexm/engine/__init__.py": '''"""Engine: may log at ERROR level."""

import logging

_log = logging.getLogger(__name__)


def report(node: str) -> None:
    """Log a failed node."""
    _log.error("node %s failed", node)
''',
    "kubexm/step/__init__.py": '"""Steps."""\n',
    "kubexm/step/demo/__init__.py": '"""Demo steps."""\n',
    "kubexm/step/demo/write_demo.py": '''"""Write the demo file."""

from kubexm.runner import describe


class WriteDemo:
    """Writes the demo file; already done when the content matches."""

    title = "Write demo"

    def describe(self) -> str:
        """One line for the plan."""
        return describe(RuntimeError)
''',
    "kubexm/lab/__init__.py": '''"""Lab hosts."""

from kubexm.connector import ssh
from kubexm.util import double


def first_address() -> str:
    """The first lab address."""
    return f"10.77.0.{double(5)} (asyncssh {ssh.version()})"
''',
    "kubexm/cmd/__init__.py": '''"""CLI."""

import typer

from kubexm.lab import first_address
from kubexm.step.demo.write_demo import WriteDemo

app = typer.Typer()


@app.command()
def demo() -> None:
    """Print the demo step and the first lab address."""
    typer.echo(f"{WriteDemo().describe()} {first_address()}")
''',
}

COPIED = ["pyproject.toml", ".importlinter", "scripts/check.sh"]
COPIED += ["scripts/check_budgets.py", "scripts/check_rules.py"]


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for every fake tree: third-party stubs are analysed once."""
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A clean fake project: the fake package plus copies of the real gate configuration."""
    for relative, text in FAKE_PACKAGE.items():
        plant(tmp_path, relative, text)
    for relative in COPIED:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, tmp_path / relative)
    return tmp_path


def plant(tree: Path, relative: str, text: str) -> None:
    """Write *text* to *relative* inside *tree*, creating folders."""
    path = tree / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def scrubbed_env(mypy_cache: Path) -> dict[str, str]:
    """The environment for a gate: no CI switches from the outer run, a shared mypy cache."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "KUBEXM_LAB", "PYTHONPATH")}
    env["MYPY_CACHE_DIR"] = str(mypy_cache)
    env["KUBEXM_VENV"] = str(BIN.parent)
    return env


def run_gate(tree: Path, gate: str, mypy_cache: Path) -> subprocess.CompletedProcess[str]:
    """Run one gate command in *tree* and return its result (output merged)."""
    return subprocess.run(
        GATES[gate],
        cwd=tree,
        env=scrubbed_env(mypy_cache),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_fails(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    """The gate failed and its output contains every *expected* text."""
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for text in expected:
        assert text in output, output


@pytest.mark.parametrize("gate", list(GATES))
def test_gate_passes_on_clean_fake_tree(tree: Path, gate: str, mypy_cache: Path) -> None:
    result = run_gate(tree, gate, mypy_cache)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_fails_on_unformatted_file(tree: Path, mypy_cache: Path) -> None:
    plant(tree, "kubexm/util/ugly.py", "VALUES = {  'a':1 }\n")
    result = run_gate(tree, "ruff format", mypy_cache)
    assert_fails(result, "kubexm/util/ugly.py", "1 file would be reformatted")


def branchy_function(branches: int) -> str:
    """A typed function whose cyclomatic complexity is 1 + *branches*."""
    lines = ["def branchy(value: int) -> int:", '    """Count thresholds."""', "    total = 0"]
    for index in range(branches):
        lines += [f"    if value > {index}:", "        total += 1"]
    return "\n".join([*lines, "    return total", ""])


RUFF_VIOLATIONS = {
    "complexity-11": (branchy_function(10), "C901 `branchy` is too complex (11 > 10)"),
    "bare-except": (
        'def safe() -> int:\n    """Guess."""\n    try:\n        return 1 // 0\n'
        "    except:\n        return 0\n",
        "E722",
    ),
    "raise-without-from": (
        'def convert(text: str) -> int:\n    """Parse."""\n    try:\n        return int(text)\n'
        "    except ValueError:\n        raise RuntimeError(text)\n",
        "B904",
    ),
}


@pytest.mark.parametrize(("source", "code"), RUFF_VIOLATIONS.values(), ids=list(RUFF_VIOLATIONS))
def test_ruff_check_fails_on_planted_violation(
    tree: Path, mypy_cache: Path, source: str, code: str
) -> None:
    plant(tree, "kubexm/util/bad.py", '"""Planted."""\n\n\n' + source)
    assert_fails(run_gate(tree, "ruff check", mypy_cache), "kubexm/util/bad.py", code)


def test_ruff_check_accepts_complexity_ten(tree: Path, mypy_cache: Path) -> None:
    plant(tree, "kubexm/util/ok.py", '"""Planted."""\n\n\n' + branchy_function(9))
    result = run_gate(tree, "ruff check", mypy_cache)
    assert result.returncode == 0, result.stdout


def test_mypy_strict_fails_on_untyped_def(tree: Path, mypy_cache: Path) -> None:
    plant(tree, "kubexm/util/loose.py", '"""Planted."""\n\n\ndef same(x):\n    return x\n')
    result = run_gate(tree, "mypy", mypy_cache)
    assert_fails(result, "kubexm/util/loose.py:4", "Function is missing a type annotation")


IMPORT_VIOLATIONS = {
    "util-imports-config": (
        "kubexm/util/bad.py",
        "from kubexm.config import port\n\nPORT = port()\n",
        [
            "kubexm.util is not allowed to import kubexm.config",
            "kubexm.util.bad -> kubexm.config",
            "common and util import nothing of kubexm but kubexm.errors BROKEN",
        ],
    ),
    "common-imports-util": (
        "kubexm/common/bad.py",
        "from kubexm.util import double\n\nTWO = double(1)\n",
        ["kubexm.common is not allowed to import kubexm.util", "kubexm.common.bad -> kubexm.util"],
    ),
    "runner-imports-asyncssh": (
        "kubexm/runner/direct.py",
        "import asyncssh\n\nOPTIONS = asyncssh.SSHClientConnectionOptions\n",
        ["only kubexm.connector imports asyncssh BROKEN", "kubexm.runner.direct -> asyncssh"],
    ),
    "step-imports-typer": (
        "kubexm/step/demo/echo_demo.py",
        "import typer\n\nECHO = typer.echo\n",
        ["only kubexm.cmd imports typer or click BROKEN", "kubexm.step.demo.echo_demo -> typer"],
    ),
    "lab-imports-runner": (
        "kubexm/lab/bad.py",
        "from kubexm.runner import describe\n\nTEXT = describe(RuntimeError)\n",
        ["lab uses only connector, util, common and errors BROKEN"],
    ),
    "lab-package-imports-config": (
        "kubexm/lab/__init__.py",
        "from kubexm.config import port\n\nPORT = port()\n",
        ["lab uses only connector, util, common and errors BROKEN", "kubexm.lab -> kubexm.config"],
    ),
    "runner-imports-lab": (
        "kubexm/runner/bad.py",
        "from kubexm.lab import first_address\n\nTEXT = first_address()\n",
        ["kubexm.runner is not allowed to import kubexm.lab", "kubexm.runner.bad -> kubexm.lab"],
    ),
    "unplaced-package": (
        "kubexm/extras/__init__.py",
        '"""Not in the layer order."""\n',
        ["The following modules are not listed as layers", "kubexm.extras"],
    ),
}


@pytest.mark.parametrize(
    ("relative", "source", "expected"), IMPORT_VIOLATIONS.values(), ids=list(IMPORT_VIOLATIONS)
)
def test_import_contracts_fail_on_planted_import(
    tree: Path, mypy_cache: Path, relative: str, source: str, expected: list[str]
) -> None:
    plant(tree, relative, source)
    assert_fails(run_gate(tree, "import contracts", mypy_cache), *expected)


def test_import_contracts_tolerate_missing_packages(tree: Path, mypy_cache: Path) -> None:
    for package in ("config", "logger", "engine", "connector", "runner", "step"):
        shutil.rmtree(tree / "kubexm" / package)
    plant(tree, "kubexm/lab/__init__.py", '"""Lab without the removed packages."""\n')
    plant(tree, "kubexm/cmd/__init__.py", '"""CLI without the removed packages."""\n')
    result = run_gate(tree, "import contracts", mypy_cache)
    assert result.returncode == 0, result.stdout + result.stderr


def function_with_body(lines: int) -> str:
    """A function whose body (after its docstring) is exactly *lines* lines."""
    body = ["    total = 0"] + ["    total += 1"] * (lines - 2) + ["    return total"]
    return "\n".join(["def long() -> int:", '    """Count."""', *body, ""])


BUDGET_VIOLATIONS = {
    "function-41-lines": (
        "kubexm/util/long.py",
        function_with_body(41),
        "kubexm/util/long.py:1: function 'long' body has 41 lines (budget 40)",
    ),
    "module-601-lines": (
        "kubexm/util/big.py",
        "".join(f"VALUE_{n} = {n}\n" for n in range(601)),
        "kubexm/util/big.py:1: module has 601 lines (budget 600)",
    ),
    "step-file-201-lines": (
        "kubexm/step/demo/big_step.py",
        "@register_step\nclass Big:\n    pass\n"
        + "".join(f"VALUE_{n} = {n}\n" for n in range(198)),
        "kubexm/step/demo/big_step.py:1: step file has 201 lines (budget 200)",
    ),
    "todo-without-issue": (
        "kubexm/util/todo.py",
        "VALUE = 1  # TODO: make it two\n",
        "kubexm/util/todo.py:1: TODO without an issue reference",
    ),
    "bare-type-ignore": (
        "kubexm/util/ignore.py",
        "VALUE: int = 'a'  # type: ignore\n",
        "kubexm/util/ignore.py:1: type: ignore needs an error code and a reason",
    ),
    "type-ignore-without-reason": (
        "kubexm/util/ignore.py",
        "VALUE: int = 'a'  # type: ignore[assignment]\n",
        "kubexm/util/ignore.py:1: type: ignore needs an error code and a reason",
    ),
}


@pytest.mark.parametrize(
    ("relative", "source", "expected"), BUDGET_VIOLATIONS.values(), ids=list(BUDGET_VIOLATIONS)
)
def test_size_budgets_fail_on_planted_violation(
    tree: Path, mypy_cache: Path, relative: str, source: str, expected: str
) -> None:
    plant(tree, relative, source)
    result = run_gate(tree, "size budgets", mypy_cache)
    assert_fails(result, expected)
    findings = result.stdout.splitlines()
    assert len(findings) == 1, result.stdout
    assert findings[0].startswith(expected)


BUDGET_BOUNDARIES = {
    "function-40-lines": ("kubexm/util/long.py", function_with_body(40)),
    "module-600-lines": ("kubexm/util/big.py", "".join(f"V_{n} = {n}\n" for n in range(600))),
    "step-file-200-lines": (
        "kubexm/step/demo/big_step.py",
        "".join(f"V_{n} = {n}\n" for n in range(200)),
    ),
    "todo-with-issue": ("kubexm/util/todo.py", "VALUE = 1  # TODO(#12): make it two\n"),
    "explained-type-ignore": (
        "kubexm/util/ignore.py",
        "VALUE: int = 'a'  # type: ignore[assignment]  # the planted mistake\n",
    ),
}


@pytest.mark.parametrize(
    ("relative", "source"), BUDGET_BOUNDARIES.values(), ids=list(BUDGET_BOUNDARIES)
)
def test_size_budgets_accept_code_at_the_limit(
    tree: Path, mypy_cache: Path, relative: str, source: str
) -> None:
    plant(tree, relative, source)
    result = run_gate(tree, "size budgets", mypy_cache)
    assert result.returncode == 0, result.stdout


RULE_VIOLATIONS = {
    "runner-logs-error": (
        "kubexm/runner/noisy.py",
        "import logging\n\nlogging.getLogger(__name__).error('boom')\n",
        "kubexm/runner/noisy.py:3: .error(...) logs at ERROR level",
    ),
    "step-logs-exception": (
        "kubexm/step/demo/noisy.py",
        "import logging\n\n_LOG = logging.getLogger(__name__)\n_LOG.exception('boom')\n",
        "kubexm/step/demo/noisy.py:4: .exception(...) logs at ERROR level",
    ),
    "config-logs-at-error-level": (
        "kubexm/config/noisy.py",
        "import logging\n\nlogging.getLogger('x').log(logging.ERROR, 'boom')\n",
        "kubexm/config/noisy.py:3: .log() at ERROR level or above",
    ),
    "runner-mentions-logging-error": (
        "kubexm/runner/level.py",
        "import logging\n\nLEVEL = logging.ERROR\n",
        "kubexm/runner/level.py:3: logging.ERROR outside cmd and engine",
    ),
    "package-without-py-typed": (
        "kubexm/py.typed",
        None,
        "kubexm/py.typed:1: missing: the package must ship py.typed",
    ),
    "engine-imports-rich-console": (
        "kubexm/engine/view.py",
        "from rich.console import Console\n\nCONSOLE = Console()\n",
        "kubexm/engine/view.py:1: imports rich.console",
    ),
}


@pytest.mark.parametrize(
    ("relative", "source", "expected"), RULE_VIOLATIONS.values(), ids=list(RULE_VIOLATIONS)
)
def test_layer_rules_fail_on_planted_violation(
    tree: Path, mypy_cache: Path, relative: str, source: str | None, expected: str
) -> None:
    if source is None:
        (tree / relative).unlink()
    else:
        plant(tree, relative, source)
    assert_fails(run_gate(tree, "layer rules", mypy_cache), expected)


def run_check(
    tree: Path, mypy_cache: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the copied scripts/check.sh in *tree* with the outer venv's tools (and *env*)."""
    return subprocess.run(
        ["bash", "scripts/check.sh", *args],
        cwd=tree,
        env=scrubbed_env(mypy_cache) | (env or {}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def verdicts(output: str) -> Iterator[str]:
    """The verdict lines of a check.sh run, in order, without the summary repeat."""
    for line in output.split("\nsummary:")[0].splitlines():
        if line.startswith(("PASS ", "FAIL ", "SKIP ")):
            yield line


def test_check_reports_every_gate_and_fails_when_some_fail(tree: Path, mypy_cache: Path) -> None:
    plant(tree, "kubexm/util/bad.py", '"""Planted."""\n\n\n' + RUFF_VIOLATIONS["bare-except"][0])
    plant(tree, "kubexm/util/loose.py", '"""Planted."""\n\n\ndef same(x):\n    return x\n')
    result = run_check(tree, mypy_cache, "--gates-only")
    assert result.returncode == 1, result.stdout
    assert list(verdicts(result.stdout)) == [
        "PASS ruff format",
        "FAIL ruff check (1 error)",
        "FAIL mypy (1 error)",
        "PASS import contracts",
        "PASS size budgets",
        "PASS layer rules",
    ]
    assert "    kubexm/util/bad.py:8:5: E722 Do not use bare `except`" in result.stdout
    assert result.stdout.rstrip().endswith("check: 2 failed")


def test_check_reports_broken_and_unrunnable_contracts(tree: Path, mypy_cache: Path) -> None:
    plant(tree, "kubexm/runner/direct.py", "import asyncssh\n\nOPTIONS = asyncssh.SSHConfig\n")
    broken = run_check(tree, mypy_cache, "--gates-only")
    assert "FAIL import contracts (1 broken)" in list(verdicts(broken.stdout))
    shutil.rmtree(tree / "kubexm" / "lab")  # a contract names kubexm.lab as its source
    unrunnable = run_check(tree, mypy_cache, "--gates-only")
    assert "FAIL import contracts (did not run: Module 'kubexm.lab' does not exist.)" in list(
        verdicts(unrunnable.stdout)
    ), unrunnable.stdout


def test_check_fails_on_no_tests_collected_and_missing_lab_prereqs(
    tree: Path, mypy_cache: Path
) -> None:
    plant(tree, "tests/unit/test_nothing.py", '"""No tests here."""\n')
    result = run_check(tree, mypy_cache, "--tests-only", env={"CI": "true"})
    lines = list(verdicts(result.stdout))
    assert result.returncode == 1
    assert lines[0] == "FAIL unit tests (no tests collected)"
    if os.geteuid() == 0:
        # In CI the lab suite is required, so its missing installer is a failure, not a skip.
        assert lines[1:] == ["FAIL lab prerequisites (scripts/lab-prereqs.sh missing)"]
    else:
        assert lines[1:] == ["SKIP e2e lab tests (not root)"]
    assert result.stdout.rstrip().endswith("check: 2 failed")


def test_check_passes_clean_tree_with_tests(tree: Path, mypy_cache: Path) -> None:
    plant(tree, "tests/unit/test_ok.py", "def test_ok() -> None:\n    assert 1 + 1 == 2\n")
    result = run_check(tree, mypy_cache)
    lines = list(verdicts(result.stdout))
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines[:-2] == [
        "PASS ruff format",
        "PASS ruff check",
        "PASS mypy",
        "PASS import contracts",
        "PASS size budgets",
        "PASS layer rules",
    ]
    assert lines[-2].startswith("PASS unit tests (1 passed in "), lines
    # No tests/e2e in the fake tree: the lab suite is skipped with its reason, not failed.
    assert lines[-1].startswith("SKIP e2e lab tests (")
    assert result.stdout.rstrip().endswith("check: all passed")


LAB_TOOLS = ("systemd-nspawn", "debootstrap", "ssh", "ip")
PASSING_TEST = "def test_ok() -> None:\n    assert 1 + 1 == 2\n"


def test_check_runs_only_lab_marked_e2e_tests(tree: Path, mypy_cache: Path) -> None:
    if os.geteuid() != 0 or not all(shutil.which(tool) for tool in LAB_TOOLS):
        pytest.skip("the e2e suite runs only as root with the lab tools installed")
    plant(tree, "tests/unit/test_ok.py", PASSING_TEST)
    lab_test = "import pytest\n\n\n@pytest.mark.lab\n" + PASSING_TEST.replace("ok", "lab")
    plant(tree, "tests/e2e/test_e2e.py", lab_test + "\n\n" + PASSING_TEST)
    result = run_check(tree, mypy_cache, "--tests-only")
    assert result.returncode == 0, result.stdout
    assert "PASS e2e lab tests (1 passed, 1 deselected in " in result.stdout


def test_check_skips_e2e_when_lab_is_switched_off(tree: Path, mypy_cache: Path) -> None:
    plant(tree, "tests/unit/test_ok.py", PASSING_TEST)
    plant(tree, "tests/e2e/test_e2e.py", "def test_never() -> None:\n    raise AssertionError\n")
    result = run_check(tree, mypy_cache, "--tests-only", env={"CI": "true", "KUBEXM_LAB": "0"})
    assert result.returncode == 0, result.stdout
    assert list(verdicts(result.stdout))[-1] == "SKIP e2e lab tests (KUBEXM_LAB=0)"
