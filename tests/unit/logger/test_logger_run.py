from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubexm.logger.events import Event
from kubexm.logger.run import RunLogger, console_level, with_context
from kubexm.logger.sinks import ListSink

PASSWORD = "Sup3r-Secret!pw"
PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACCZ0bX4ZkzL3h0Gq4V8pQ9y7nKXb0D0dW1pHfVq8x2w3AAAAJgN9xK6DfcS\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)
KEY_LINES = [line for line in PRIVATE_KEY.splitlines() if "PRIVATE KEY" not in line]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def kubexm_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("kubexm.tests.logger")
    yield logger
    assert not any(
        type(h).__name__ == "RunLogHandler" for h in logging.getLogger("kubexm").handlers
    )


def _log_secrets_everywhere(run: RunLogger, logger: logging.Logger) -> None:
    """Leak both secrets through every path a message can take."""
    bound = run.bind(host="node1", step="ssh")
    bound.info("connecting with password %s", PASSWORD, password=PASSWORD)
    bound.debug("key file content:\n%s", PRIVATE_KEY, key=PRIVATE_KEY)
    bound.warning("key line %s", KEY_LINES[0], nested={"keys": [PRIVATE_KEY, PASSWORD]})
    logger.info("stdlib sees %s", PASSWORD, extra={"fields": {"pw": PASSWORD}})
    with_context(logger, host="node2").debug("sudo -S <<< %s", PASSWORD)
    try:
        raise RuntimeError(f"auth failed for {PASSWORD}")
    except RuntimeError:
        logger.warning("login failed", exc_info=True)


def _assert_no_secret(text: str) -> None:
    assert PASSWORD not in text
    for line in KEY_LINES:
        assert line not in text


@pytest.mark.parametrize("color", [False, True], ids=["plain", "rich"])
def test_secrets_never_reach_console(
    tmp_path: Path, kubexm_logger: logging.Logger, color: bool
) -> None:
    console = io.StringIO()
    with RunLogger(tmp_path, console=console, color=color, verbosity=2) as run:
        run.add_secret(PASSWORD, PRIVATE_KEY)
        run.install()
        _log_secrets_everywhere(run, kubexm_logger)
    output = console.getvalue()
    assert "connecting with password ******" in output
    assert "auth failed for ******" in output
    _assert_no_secret(output)


def test_secrets_never_reach_jsonl_file(tmp_path: Path, kubexm_logger: logging.Logger) -> None:
    with RunLogger(tmp_path, console=io.StringIO(), secrets=[PASSWORD, PRIVATE_KEY]) as run:
        run.install()
        _log_secrets_everywhere(run, kubexm_logger)
    assert run.log_path is not None
    content = run.log_path.read_text(encoding="utf-8")
    _assert_no_secret(content)
    _assert_no_secret(json.dumps([r for r in _read_jsonl(run.log_path)]))
    assert len(_read_jsonl(run.log_path)) == 6


def test_log_file_lives_under_logs_with_run_id(tmp_path: Path) -> None:
    with RunLogger(tmp_path, run_id="r-1", with_console=False) as run:
        run.bind(host="node1", step="etcd").info("wrote %s", "/etc/etcd/etcd.conf.yml")
    assert run.log_path == tmp_path / "logs" / "r-1.jsonl"
    (record,) = _read_jsonl(run.log_path)
    assert record["run_id"] == "r-1"
    assert (record["host"], record["step"], record["message"]) == (
        "node1",
        "etcd",
        "wrote /etc/etcd/etcd.conf.yml",
    )


def test_without_log_dir_no_file_is_written(tmp_path: Path) -> None:
    console = io.StringIO()
    with RunLogger(console=console) as run:
        run.bind(host="node1").info("hello")
    assert run.log_path is None
    assert console.getvalue() == "[node1] hello\n"
    assert list(tmp_path.iterdir()) == []


def test_bound_logger_console_shape_and_banner() -> None:
    console = io.StringIO()
    with RunLogger(console=console) as run:
        log = run.bind(host="node1", step="etcd")
        log.banner("Write etcd config")
        log.info("wrote %s", "/etc/etcd/etcd.conf.yml", mode="0644")
        log.warning("clock skew %ss", 3)
        log.debug("hidden at default verbosity")
        log.bind(step="containerd").info("restarting containerd")
        log.log(logging.ERROR, "step failed")
    assert console.getvalue().splitlines() == [
        "==> Write etcd config",
        "[node1] etcd: wrote /etc/etcd/etcd.conf.yml",
        "[node1] etcd: warning: clock skew 3s",
        "[node1] containerd: restarting containerd",
        "[node1] etcd: error: step failed",
    ]


def test_bound_logger_keyword_arguments_become_fields() -> None:
    sink = ListSink()
    with RunLogger(with_console=False) as run:
        run.add_sink(sink)
        event = run.bind(host="h").log(logging.INFO, "ran", rc=0, cmd="ls")
    assert isinstance(event, Event)
    assert dict(sink.events[0].fields) == {"rc": 0, "cmd": "ls"}


@pytest.mark.parametrize(
    ("verbosity", "level"),
    [
        pytest.param(-1, logging.WARNING, id="quiet"),
        pytest.param(0, logging.INFO, id="default"),
        pytest.param(1, logging.DEBUG, id="verbose"),
        pytest.param(3, logging.DEBUG, id="very-verbose"),
    ],
)
def test_console_level_follows_verbosity(verbosity: int, level: int) -> None:
    assert console_level(verbosity) == level


def test_quiet_console_still_writes_debug_to_file(tmp_path: Path) -> None:
    console = io.StringIO()
    with RunLogger(tmp_path, console=console, verbosity=-1) as run:
        run.bind().info("only in file")
        run.bind().debug("debug in file")
    assert console.getvalue() == ""
    assert run.log_path is not None
    assert [r["level"] for r in _read_jsonl(run.log_path)] == ["info", "debug"]


def test_install_routes_stdlib_logging_and_uninstall_restores(
    kubexm_logger: logging.Logger,
) -> None:
    root = logging.getLogger("kubexm")
    before = root.level
    sink = ListSink()
    run = RunLogger(with_console=False)
    run.add_sink(sink)
    run.install()
    run.install()
    kubexm_logger.debug("first %d", 1, extra={"host": "n1", "step": "s"})
    logging.getLogger("other.library").warning("not ours")
    run.uninstall()
    run.uninstall()
    kubexm_logger.warning("after uninstall")
    run.close()
    assert root.level == before
    assert sink.messages() == ["first 1"]
    event = sink.events[0]
    assert (event.host, event.step, event.fields["logger"]) == ("n1", "s", "kubexm.tests.logger")


def test_with_context_merges_extra_fields() -> None:
    sink = ListSink()
    with RunLogger(with_console=False) as run:
        run.add_sink(sink)
        run.install()
        adapter = with_context(logging.getLogger("kubexm.x"), host="node3", step="calico")
        adapter.info("applied", extra={"fields": {"file": "calico.yaml"}})
    (event,) = sink.events
    assert (event.host, event.step, dict(event.fields)) == (
        "node3",
        "calico",
        {"file": "calico.yaml", "logger": "kubexm.x"},
    )


class BrokenSink:
    def emit(self, event: Event) -> None:
        raise OSError("disk full")

    def close(self) -> None:
        """Nothing to release."""


def test_broken_sink_does_not_break_stdlib_callers(
    monkeypatch: pytest.MonkeyPatch, kubexm_logger: logging.Logger
) -> None:
    monkeypatch.setattr(logging, "raiseExceptions", False)
    with RunLogger(with_console=False) as run:
        run.add_sink(BrokenSink())
        run.install()
        kubexm_logger.info("still fine")


def test_remove_sink_stops_delivery() -> None:
    sink = ListSink()
    with RunLogger(with_console=False) as run:
        run.add_sink(sink)
        run.bind().info("one")
        run.remove_sink(sink)
        run.bind().info("two")
    assert sink.messages() == ["one"]
