"""The entry point: global options, version, exit codes, no traceback without -v."""

from __future__ import annotations

import pytest

from kubexm import __version__
from kubexm.cmd import main as main_mod
from kubexm.cmd.main import run
from kubexm.errors import StepError


def test_version_prints_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"kubexm {__version__}"


def test_help_lists_only_registered_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    assert "config" in out
    assert "--verbose" in out and "--yes" in out and "--output" in out


def test_unknown_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_bad_output_format_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["-o", "yaml", "config", "schema"]) == 2
    assert "yaml" in capsys.readouterr().err


def test_kubexm_error_prints_one_line_and_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise StepError("etcd did not start", "look at journalctl -u etcd")

    monkeypatch.setattr(main_mod.typer.main, "get_command", lambda _app: _Raiser(boom))
    assert run(["config", "schema"]) == 1
    err = capsys.readouterr().err
    assert err == "error: etcd did not start (hint: look at journalctl -u etcd)\n"


def test_unexpected_exception_has_no_traceback_without_verbose(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(main_mod.typer.main, "get_command", lambda _app: _Raiser(boom))
    assert run(["config", "schema"]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: kaput" in err
    assert "Traceback" not in err
    assert run(["-v", "config", "schema"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_keyboard_interrupt_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(main_mod.typer.main, "get_command", lambda _app: _Raiser(boom))
    assert run(["config", "schema"]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_entry_exits_with_run_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(main_mod, "run", lambda: 3)
    with pytest.raises(SystemExit) as done:
        main_mod.entry()
    assert done.value.code == 3


class _Raiser:
    def __init__(self, fn: object) -> None:
        self.main = fn


def test_exit_code_raised_inside_a_command_is_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(main_mod.typer.main, "get_command", lambda _app: _Raiser(lambda **_k: 4))
    assert run(["config", "schema"]) == 4


def test_no_arguments_prints_help_and_no_empty_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([]) == 2
    captured = capsys.readouterr()
    assert "Usage:" in captured.out + captured.err
    assert "error:" not in captured.err


def test_output_that_cannot_be_written_is_an_error_not_a_bug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full(*_a: object, **_k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(main_mod.typer.main, "get_command", lambda _app: _Raiser(full))
    assert run(["config", "schema"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "bug" not in err


def test_ctrl_c_inside_a_command_says_interrupted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(main_mod.typer.main, "get_command", lambda _app: _Raiser(lambda **_k: 130))
    assert run(["config", "schema"]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_verbose_installs_debug_logging_for_the_command_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging

    assert run(["-v", "config", "schema"]) == 0
    root = logging.getLogger("kubexm")
    assert not [h for h in root.handlers if type(h).__name__ == "RunLogHandler"]
