"""Errors and results are printed one line per problem, or as JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from kubexm.cmd.output import error_lines, load_config, print_json, report_error
from kubexm.cmd.state import CLIState, OutputFormat
from kubexm.errors import ConfigError, FieldProblem, StepError

PROBLEMS = [
    FieldProblem("spec.hosts[0].address", "must not be a loopback address", "use the host's IP"),
    FieldProblem("spec.roleGroups.master", "at least one master is required"),
]


def test_error_lines_one_per_config_problem() -> None:
    lines = error_lines(ConfigError(PROBLEMS))
    assert lines == [
        "spec.hosts[0].address: must not be a loopback address (hint: use the host's IP)",
        "spec.roleGroups.master: at least one master is required",
    ]


def test_report_error_table_lists_every_problem() -> None:
    stream = io.StringIO()
    report_error(CLIState(), ConfigError(PROBLEMS), stream)
    text = stream.getvalue().splitlines()
    assert text[0] == "error: invalid config (2 problems):"
    assert text[1].startswith("  spec.hosts[0].address:")
    assert len(text) == 3


def test_report_error_plain_error_is_one_line() -> None:
    stream = io.StringIO()
    report_error(CLIState(), StepError("it broke", "fix it"), stream)
    assert stream.getvalue() == "error: it broke (hint: fix it)\n"


def test_report_error_json() -> None:
    stream = io.StringIO()
    report_error(CLIState(output=OutputFormat.json), ConfigError(PROBLEMS), stream)
    data = json.loads(stream.getvalue())
    assert data["ok"] is False and len(data["errors"]) == 2


def test_print_json_indents_and_ends_with_newline() -> None:
    stream = io.StringIO()
    print_json({"a": 1}, stream)
    assert stream.getvalue() == '{\n  "a": 1\n}\n'


def test_load_config_prints_the_config_warnings_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "apiVersion: kubexms.io/v1alpha1\nkind: Cluster\nmetadata: {name: demo}\nspec:\n"
        "  global: {privateKeyPath: /k}\n  hosts: [{name: n1, address: 10.0.0.1}]\n"
        "  roleGroups: {master: [n1], etcd: [n1], worker: [n1]}\n"
    )

    loaded = load_config(config)

    captured = capsys.readouterr()
    assert loaded.cluster.metadata.name == "demo" and captured.out == ""
    assert "warning: apiVersion kubexms.io/v1alpha1 is deprecated" in captured.err
