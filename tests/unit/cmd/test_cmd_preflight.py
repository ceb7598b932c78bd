"""``kubexm preflight -f``: every problem of every host in one run, exit 1 on any error."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import pytest
import typer
from preflight_sim import SimDialer, cluster_yaml
from typer.testing import CliRunner, Result

from kubexm.cmd.preflight_cmd import preflight_command
from kubexm.cmd.state import CLIState, OutputFormat
from kubexm.connector import pool as pool_module
from kubexm.errors import UsageError
from kubexm.pipeline import preflight as preflight_pipeline
from kubexm.resource.bundle import build_bundle
from kubexm.resource.model import ArtifactSet, FileArtifact

PORT_10250 = 'LISTEN 0 5 0.0.0.0:10250 0.0.0.0:* users:(("python3",pid=9,fd=3))'


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main(
        ctx: typer.Context,
        output: Annotated[OutputFormat, typer.Option("-o")] = OutputFormat.table,
    ) -> None:
        ctx.obj = CLIState(output=output)

    app.command("preflight")(preflight_command)
    return app


def _invoke(
    tmp_path: Path, masters: list[str], workers: list[str], *args: str, pre: tuple[str, ...] = ()
) -> Result:
    config = tmp_path / "cluster.yaml"
    config.write_text(cluster_yaml(masters, workers))
    argv = [*pre, "preflight", "-f", str(config), "--work-dir", str(tmp_path), *args]
    return CliRunner().invoke(_app(), argv)


def _use(monkeypatch: pytest.MonkeyPatch, dialer: SimDialer) -> SimDialer:
    monkeypatch.setattr(pool_module, "open_connection", dialer)
    return dialer


def test_clean_hosts_exit_zero_with_a_summary(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, SimDialer())
    result = _invoke(tmp_path, ["m1"], ["w1"])
    assert result.exit_code == 0, result.output
    assert (
        result.output.strip().splitlines()[-1]
        == "preflight: 2 hosts, 40 checks: 0 errors, 0 warnings"
    )


def test_every_planted_problem_is_reported_with_its_fix_in_one_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(
        monkeypatch,
        SimDialer(
            hostnames={"w2": "w1"},
            facts={"m1": {"nproc": "1"}, "w2": {"clock": f"{time.time() + 60:.3f}"}},
            probes={
                "w1": {"ports": PORT_10250, "fstab": "swap"},
                "m1": {"leftovers": "/var/lib/etcd"},
            },
        ),
    )
    result = _invoke(tmp_path, ["m1"], ["w1", "w2"])
    assert result.exit_code == 1
    out = result.output
    assert "error: [m1] cpu: 1 CPUs, a master host needs 2 (fix: add CPUs" in out
    assert "error: [w1] hostname-unique: hostname 'w1' is also used by w2 (fix:" in out
    assert "error: [w2] hostname-unique:" in out
    assert "error: [w1] ports: ports in use: 10250 (python3) (fix: stop the process" in out
    assert "[w2] clock: clock is 60." in out and "ahead of this machine" in out
    assert "error: [m1] leftovers: an earlier install left /var/lib/etcd (fix: kubexm delete" in out
    assert "warning: [w1] swap: swap is off and /etc/fstab would turn it on again" in out
    assert "6 errors, 1 warnings" in out


def test_json_output_lists_problems_and_the_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, SimDialer(facts={"w1": {"meminfo": "MemTotal: 1000000 kB"}}))
    result = _invoke(tmp_path, ["m1"], ["w1"], pre=("-o", "json"))
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert (doc["ok"], doc["errors"], doc["hosts"]) == (False, 1, 2)
    assert doc["problems"][0]["check"] == "memory"
    assert doc["run"]["status"] == "failed"


def test_skip_leaves_a_check_out(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _use(monkeypatch, SimDialer(facts={"m1": {"nproc": "1"}}))
    result = _invoke(tmp_path, ["m1"], ["w1"], "--skip", "cpu")
    assert result.exit_code == 0, result.output
    assert "2 hosts, 38 checks" in result.output


def test_unknown_skip_name_is_a_usage_error(tmp_path: Path) -> None:
    result = _invoke(tmp_path, ["m1"], ["w1"], "--skip", "cpus")
    assert isinstance(result.exception, UsageError)
    assert "cpu" in result.exception.hint


def test_host_option_checks_only_that_host(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dialer = _use(monkeypatch, SimDialer(facts={"m1": {"nproc": "1"}}))
    result = _invoke(tmp_path, ["m1"], ["w1"], "--host", "w1")
    assert result.exit_code == 0 and list(dialer.made) == ["w1"]


def test_bad_bundle_is_reported_on_the_control_machine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, SimDialer())
    bundle = tmp_path / "bundle.tar.gz"
    bundle.write_bytes(b"junk")
    result = _invoke(tmp_path, ["m1"], ["w1"], "--bundle", str(bundle))
    assert result.exit_code == 1
    assert "error: [control] bundle:" in result.output


def test_fifty_hosts_are_checked_in_under_ten_seconds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bench: 50 simulated hosts, 5 ms per operation, the whole command end to end."""
    _use(monkeypatch, SimDialer(latency=0.005, facts={"w7": {"nproc": "1"}}))
    masters = ["m1", "m2", "m3"]
    workers = [f"w{i}" for i in range(1, 48)]
    started = time.monotonic()
    result = _invoke(tmp_path, masters, workers)
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert "error: [w7] cpu:" in result.output
    assert "preflight: 50 hosts, 1000 checks: 1 errors, 0 warnings" in result.output
    with capsys.disabled():
        print(f"\npreflight bench: 50 hosts, 1000 checks, 5 ms latency: {elapsed:.2f}s")
    assert elapsed < 10.0


def test_a_bundle_with_stand_ins_is_an_error_unless_allowed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    etcd = FileArtifact("etcd", "3.5.21", "amd64", "etcd", "u")
    cache = tmp_path / "src"
    (cache / etcd.cache_path).parent.mkdir(parents=True)
    (cache / etcd.cache_path).write_bytes(b"#!/bin/sh\necho etcd\n")
    needs = ArtifactSet(files=(etcd,))
    bundle = tmp_path / "bundle.tar.gz"
    build_bundle(
        needs,
        cache,
        bundle,
        images_dir=cache / "i",
        os_dir=cache / "o",
        labels={"etcd": "stand-in"},
    )
    monkeypatch.setattr(preflight_pipeline, "resolve_artifacts", lambda cluster: needs)
    args = ("--bundle", str(bundle))

    def preflight(*more: str, pre: tuple[str, ...] = ()) -> Result:
        _use(monkeypatch, SimDialer())  # a fresh dialer: it numbers addresses per call
        return _invoke(tmp_path, ["m1"], ["w1"], *args, *more, pre=pre)

    refused = preflight()
    allowed = preflight("--allow-standins")
    as_json = preflight("--allow-standins", pre=("-o", "json"))

    assert refused.exit_code == 1
    assert "error: [control] bundle: stand-in etcd/3.5.21/amd64/etcd:" in refused.output
    assert "--allow-standins" in refused.output
    assert allowed.exit_code == 0, allowed.output
    assert "warning: [control] bundle: 1 file is labelled stand-in and accepted" in allowed.output
    assert json.loads(as_json.stdout)["standins"] == ["etcd/3.5.21/amd64/etcd"]
