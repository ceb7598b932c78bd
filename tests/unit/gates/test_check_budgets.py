"""Unit tests of scripts/check_budgets.py: the budget arithmetic and the mark parsing."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "check_budgets.py"


def load_script() -> ModuleType:
    """Import the script as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("check_budgets_under_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


budgets = load_script()


def write(root: Path, relative: str, text: str) -> Path:
    """Write *text* at *relative* under *root* and return the path."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def messages(root: Path, targets: list[str] | None = None) -> list[str]:
    """The printed form of every finding under *root*."""
    return [str(finding) for finding in budgets.run(root, targets)]


STEP_SOURCE = "@register_step\nclass WriteEtcdConfig(Step):\n    pass\n"


@pytest.mark.parametrize(
    ("relative", "source", "expected"),
    [
        pytest.param("kubexm/step/etcd/write_etcd_config.py", STEP_SOURCE, True, id="area-step"),
        pytest.param(
            "kubexm/step/etcd/render.py",
            "def render() -> str: ...\n",
            False,
            id="area-helper-is-a-module",
        ),
        pytest.param("kubexm/step/base.py", STEP_SOURCE, False, id="step-base-is-a-module"),
        pytest.param("kubexm/runner/files.py", STEP_SOURCE, False, id="runner"),
    ],
)
def test_is_step_file_only_for_step_files_of_a_step_area(
    relative: str, source: str, expected: bool
) -> None:
    assert budgets.is_step_file(Path(relative), source) is expected


def first_function(source: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """The first function definition in *source*."""
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    return node


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("def f():\n    return 1\n", 1, id="one-line"),
        pytest.param(
            'def f():\n    """Doc.\n\n    More.\n    """\n    return 1\n', 1, id="docstring"
        ),
        pytest.param('def f():\n    """Only a docstring."""\n', 0, id="docstring-only"),
        pytest.param("@decorator\ndef f(\n    a,\n):\n    a += 1\n\n    return a\n", 3, id="decor"),
        pytest.param(
            "async def f():\n    await g()\n    # trailing\n    return 1\n", 3, id="async"
        ),
    ],
)
def test_body_length_counts_from_first_statement_after_docstring(
    source: str, expected: int
) -> None:
    assert budgets.body_length(first_function(source)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("# TODO: later", True, id="todo-colon"),
        pytest.param("# TODO later", True, id="todo-opens-comment"),
        pytest.param("# FIXME(alice): later", True, id="fixme-owner-not-issue"),
        pytest.param("# TODO(#12): later", False, id="todo-with-issue"),
        pytest.param("# XXX(#3) odd quirk", False, id="xxx-with-issue"),
        pytest.param("# a TODO mark needs an issue", False, id="prose-mention"),
        pytest.param("# keep TODO/FIXME out", False, id="prose-slash"),
        pytest.param("# see below, TODO: later", True, id="todo-colon-mid-line"),
    ],
)
def test_unreferenced_mark_detection(text: str, expected: bool) -> None:
    match = re.search(r"\b(?P<mark>TODO|FIXME|XXX)\b", text)
    assert match is not None
    assert budgets.is_unreferenced_mark(text, match) is expected


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        pytest.param("x = f()  # type: ignore", True, id="bare"),
        pytest.param("x = f()  # type: ignore[attr-defined]", True, id="code-no-reason"),
        pytest.param("x = f()  # type: ignore  # old stubs", True, id="reason-no-code"),
        pytest.param("x = f()  # type: ignore[attr-defined]  # #", True, id="empty-reason"),
        pytest.param("x = f()  # type: ignore[attr-defined]  # stubs lag", False, id="good"),
        pytest.param("x = f()  # type:ignore[misc, no-any-return]  # upstream", False, id="codes"),
        pytest.param('x = "# type: ignore"', False, id="inside-string"),
    ],
)
def test_type_ignore_needs_code_and_reason(tmp_path: Path, line: str, flagged: bool) -> None:
    write(tmp_path, "kubexm/m.py", line + "\n")
    found = [m for m in messages(tmp_path) if "type: ignore needs" in m]
    assert bool(found) is flagged


def test_marks_are_read_from_comments_and_docstrings_not_strings(tmp_path: Path) -> None:
    source = '"""Module.\n\nTODO: document\n"""\n\nTEXT = "TODO: not a mark"\n\n\n'
    source += 'def f() -> None:\n    """FIXME: broken."""\n    # XXX: odd\n'
    write(tmp_path, "kubexm/m.py", source)
    assert messages(tmp_path) == [
        "kubexm/m.py:3: TODO without an issue reference (write TODO(#<issue>): ...)",
        "kubexm/m.py:10: FIXME without an issue reference (write FIXME(#<issue>): ...)",
        "kubexm/m.py:11: XXX without an issue reference (write XXX(#<issue>): ...)",
    ]


def test_long_line_is_counted_in_characters(tmp_path: Path) -> None:
    write(tmp_path, "kubexm/m.py", "# " + "×" * 98 + "\n# " + "×" * 99 + "\n")
    assert messages(tmp_path) == ["kubexm/m.py:2: line has 101 characters (limit 100)"]


def test_tests_get_text_checks_but_no_size_budgets(tmp_path: Path) -> None:
    body = "".join("    x += 1\n" for _ in range(45))
    write(tmp_path, "tests/unit/test_big.py", f"def test_big() -> None:\n    x = 0\n{body}")
    write(tmp_path, "tests/unit/test_mark.py", "# TODO: later\n")
    assert messages(tmp_path) == [
        "tests/unit/test_mark.py:1: TODO without an issue reference (write TODO(#<issue>): ...)"
    ]


def test_explicit_targets_replace_default_folders(tmp_path: Path) -> None:
    write(tmp_path, "kubexm/a.py", "# TODO: a\n")
    write(tmp_path, "bench/b.py", "# TODO: b\n")
    found = messages(tmp_path, ["bench"])
    assert [m.split(":")[0] for m in found] == ["bench/b.py"]


def test_unparsable_file_is_a_finding(tmp_path: Path) -> None:
    write(tmp_path, "kubexm/broken.py", "def f(:\n")
    (finding,) = messages(tmp_path)
    assert finding.startswith("kubexm/broken.py:1: cannot parse: ")


def test_caches_and_venv_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "kubexm/__pycache__/x.py", "# TODO: a\n")
    write(tmp_path, "scripts/.venv/lib/y.py", "# TODO: b\n")
    assert messages(tmp_path) == []


def test_main_prints_findings_and_exits_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "kubexm/m.py", "# TODO: later\n")
    assert budgets.main(["--root", str(tmp_path)]) == 1
    assert capsys.readouterr().out == (
        "kubexm/m.py:1: TODO without an issue reference (write TODO(#<issue>): ...)\n"
    )


def test_main_exits_zero_and_prints_nothing_when_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "kubexm/m.py", "VALUE = 1  # TODO(#8): two\n")
    assert budgets.main(["--root", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""
