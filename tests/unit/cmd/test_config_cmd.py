"""``kubexm config sample | validate | schema`` through the real entry point."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kubexm.cmd.main import run

ROOT = Path(__file__).resolve().parents[3]
INVALID = sorted((ROOT / "tests" / "data" / "invalid").glob("*.yaml"))
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def _expected_paths(path: Path) -> list[str]:
    return re.findall(r"^# expect: (\S+)", path.read_text(), flags=re.M)


@pytest.mark.parametrize("kind", ["--minimal", "--ha", "--all"])
def test_sample_validates_through_stdin(
    kind: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(["config", "sample", kind]) == 0
    sample = capsys.readouterr().out
    assert sample.lstrip().startswith("#")
    monkeypatch.setattr(sys, "stdin", io.StringIO(sample))
    assert run(["config", "validate", "-f", "-"]) == 0
    assert "config is valid" in capsys.readouterr().out


def test_sample_rejects_two_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["config", "sample", "--ha", "--all"]) == 2
    assert "choose one of" in capsys.readouterr().err


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_validates(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["config", "validate", "-f", str(path)]) == 0, capsys.readouterr().err


def test_corpus_is_large_enough() -> None:
    assert len(INVALID) >= 60


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_config_exits_2_with_one_line_per_error(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["config", "validate", "-f", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0].startswith("error: invalid config (")
    problems = [line.strip() for line in lines[1:]]
    for expected in _expected_paths(path):
        paths = {p.split(": ", 1)[0] for p in problems}
        # YAML syntax errors carry "line N" as their path
        assert expected in paths or any(x.startswith(f"{expected} ") for x in paths), problems


def test_validate_json_output_for_invalid(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["-o", "json", "config", "validate", "-f", str(INVALID[0])]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["errors"]


def test_validate_json_output_for_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["-o", "json", "config", "validate", "-f", str(EXAMPLES[0])]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["name"]


def test_validate_missing_file_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["config", "validate", "-f", "/nonexistent/cluster.yaml"]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_validate_never_prints_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    password = "S3cr3t-Pa55word-xyz"
    key_line = "MIIEpAIBAAKCAQEAsecretkeymaterial0123456789"
    config = tmp_path / "c.yaml"
    config.write_text(
        "apiVersion: kubexm.io/v1alpha1\nkind: Cluster\nmetadata: {name: s}\nspec:\n"
        "  hosts:\n"
        f"  - {{name: n1, address: 127.0.0.1, password: {password}}}\n"
        "  - name: n2\n    address: 10.0.0.2\n    privateKey: |\n"
        "      -----BEGIN RSA PRIVATE KEY-----\n"
        f"      {key_line}\n"
        "      -----END RSA PRIVATE KEY-----\n"
        f"    passwrd: {password}\n"
        "  roleGroups: {master: [n1], worker: [n2, n3]}\n"
    )
    for argv in (
        ["config", "validate", "-f", str(config)],
        ["-o", "json", "-v", "config", "validate", "-f", str(config)],
    ):
        assert run(argv) == 2
        out = capsys.readouterr()
        text = out.out + out.err
        assert password not in text and key_line not in text
        assert "spec.hosts[0].address" in text


def test_schema_is_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["config", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "object"
    assert "spec" in schema["properties"]


def test_console_script_pipeline_sample_into_validate() -> None:
    exe = Path(sys.executable).with_name("kubexm")
    sample = subprocess.run([exe, "config", "sample"], capture_output=True, text=True, check=True)
    done = subprocess.run(
        [exe, "config", "validate", "-f", "-"],
        input=sample.stdout,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_validate_reads_a_pipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)
    sample = subprocess.run(
        [Path(sys.executable).with_name("kubexm"), "config", "sample"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    writer = subprocess.Popen(["sh", "-c", f"cat > {fifo}"], stdin=subprocess.PIPE, text=True)
    assert writer.stdin is not None
    writer.stdin.write(sample)
    writer.stdin.close()
    assert run(["config", "validate", "-f", str(fifo)]) == 0
    writer.wait(timeout=10)


def test_validate_a_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["config", "validate", "-f", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def _config_with_password(value: str) -> str:
    return (
        "apiVersion: kubexm.io/v1alpha1\nkind: Cluster\nmetadata: {name: s}\nspec:\n"
        f"  global:\n    password: {value}\n"
        "  hosts: [{name: n1, address: 10.0.0.1}]\n"
        "  roleGroups: {master: [n1], etcd: [n1], worker: [n1]}\n"
    )


# Each value is a password YAML does not read as plain text; the error it causes used to quote
# the part after the indicator (or the decoded scalar), which the raw-text scan did not mask.
YAML_TRAPS = {
    "alias": "*S3cretStar",
    "alias-in-flow": "[*S3cretInFlow]",
    "alias-over-lines": "[\n      *S3cretNextLine ]",
    "tag-then-value": "!S3cretTag plain",
    "anchor-then-tag": "&S3cretAnchor !S3cretTag v",
    "tag-handle": "!S3cret!x v",
    "verbatim-tag": "!<tag:S3cretVerbatim> v",
    "percent-encoded-tag": "!S3cret%21Tag v",
    "double-quoted-escapes": '!!timestamp "\\x53\\x33cretHex"',
    "single-quoted": "!!timestamp 'S3cret''Quoted'",
    "flow-mapping-duplicate-key": "{S3cretKey: a, S3cretKey: b}",
    "explicit-int": "!!int S3cretInt",
    "explicit-bool": "!!bool S3cretBool",
}


@pytest.mark.parametrize("value", YAML_TRAPS.values(), ids=YAML_TRAPS.keys())
@pytest.mark.parametrize(
    "options",
    [[], ["-v"], ["-o", "json"], ["-v", "-o", "json"]],
    ids=lambda options: " ".join(options) or "plain",
)
def test_validate_masks_a_password_in_every_yaml_error_spelling(
    value: str, options: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(_config_with_password(value))
    assert run([*options, "config", "validate", "-f", str(config)]) == 2
    out = capsys.readouterr()
    assert "YAML" in out.out + out.err
    assert "s3cret" not in (out.out + out.err).lower()
    if "json" in options:
        assert json.loads(out.out)["ok"] is False


def test_validate_prints_no_yaml_warning_quoting_the_file() -> None:
    # A reused anchor made ruamel print a warning with both lines of the file to stderr; only
    # a real process shows it (pytest turns warnings into errors in-process).
    text = _config_with_password("&S3cretAnchor S3cretValue").replace(
        "metadata: {name: s}", "metadata: {name: &S3cretAnchor s}"
    )
    done = subprocess.run(
        [Path(sys.executable).with_name("kubexm"), "-v", "config", "validate", "-f", "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "S3cret" not in done.stdout + done.stderr
