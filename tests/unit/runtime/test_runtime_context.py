from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Mapping
from pathlib import Path

import pytest
from runtime_helpers import HOSTS, FakeDialer, loaded_config

from kubexm.config import validate_data
from kubexm.connector import pool as pool_module
from kubexm.connector.settings import LocalSettings, SSHSettings
from kubexm.connector.simulated import Rule, SimulatedConnection
from kubexm.engine import HostEnv
from kubexm.errors import CommandError, ConnectError, HostKeyError, KubexmError, StepError
from kubexm.logger import ListSink, RunLogger
from kubexm.plan import PlanContext
from kubexm.runner.facts import Facts
from kubexm.runtime import RunContext, WorkDir, build, facts_mapping, resolved_document
from kubexm.util.yamlio import load_yaml_plain


@pytest.fixture
def dialer(monkeypatch: pytest.MonkeyPatch) -> FakeDialer:
    fake = FakeDialer()
    monkeypatch.setattr(pool_module, "open_connection", fake)
    return fake


async def test_build_connects_every_host_and_gathers_facts_once(
    dialer: FakeDialer, tmp_path: Path
) -> None:
    async with await build(loaded_config(), work_dir=tmp_path) as ctx:
        assert ctx.hosts == HOSTS
        assert sorted(dialer.names()) == HOSTS
        for name in HOSTS:
            facts = ctx.facts(name)
            assert (facts["os_id"], facts["init_system"], facts["cgroup_version"]) == (
                "debian",
                "systemd",
                2,
            )
            assert facts["hostname"] == name
            assert ctx.connection(name) is dialer.made[name]
            runs = [c for c in dialer.made[name].commands if "@@os-release" in c]
            assert len(runs) == 1


async def test_build_uses_local_settings_for_local_hosts(
    dialer: FakeDialer, tmp_path: Path
) -> None:
    async with await build(loaded_config(), work_dir=tmp_path):
        kinds = {s.host_name: type(s) for s in dialer.settings}
    assert kinds == {"m1": SSHSettings, "w1": SSHSettings, "w2": LocalSettings}
    ssh = [s for s in dialer.settings if isinstance(s, SSHSettings)]
    assert {s.known_hosts_path for s in ssh} == {tmp_path / "demo" / "known_hosts"}


async def test_build_opens_hosts_in_parallel_under_the_cap(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    inflight, peak = 0, 0

    async def slow_dial(settings: SSHSettings | LocalSettings, **_: object) -> SimulatedConnection:
        nonlocal inflight, peak
        inflight += 1
        peak = max(peak, inflight)
        await asyncio.sleep(0.05)
        inflight -= 1
        return SimulatedConnection(settings.host_name)

    monkeypatch.setattr(pool_module, "open_connection", slow_dial)
    async with await build(loaded_config(), work_dir=tmp_path, gather=False):
        assert peak == 3
    peak = 0
    async with await build(loaded_config(), work_dir=tmp_path, gather=False, connect_concurrency=2):
        assert peak == 2


async def test_build_without_gather_gives_empty_facts(dialer: FakeDialer, tmp_path: Path) -> None:
    async with await build(loaded_config(), work_dir=tmp_path, gather=False) as ctx:
        assert ctx.facts("m1") == {}
        assert ctx.host_facts("m1") is None
        assert dialer.made["m1"].commands == []


async def test_build_opens_only_the_selected_hosts(dialer: FakeDialer, tmp_path: Path) -> None:
    async with await build(loaded_config(), work_dir=tmp_path, hosts=["w1"]) as ctx:
        assert ctx.hosts == ["w1"]
        assert list(dialer.names()) == ["w1"]
        with pytest.raises(StepError, match="no connection for host m1"):
            ctx.connection("m1")


async def test_unreachable_hosts_are_all_named_and_nothing_stays_open(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dialer = FakeDialer(
        errors={
            "m1": ConnectError("m1", "connection refused on 10.0.0.11:22", "start sshd"),
            "w1": HostKeyError("w1", "host key changed"),
        }
    )
    monkeypatch.setattr(pool_module, "open_connection", dialer)
    with pytest.raises(KubexmError) as info:
        await build(loaded_config(), work_dir=tmp_path)
    lines = info.value.message.splitlines()
    assert lines[0] == "2 of 3 hosts failed to connect:"
    assert lines[1].startswith("  m1: connection refused on 10.0.0.11:22")
    assert lines[2] == "  w1: host key changed"
    assert dialer.closed() == ["w2"]


async def test_facts_failures_close_every_connection(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def breaks_w1(conn: SimulatedConnection) -> None:
        if conn.host == "w1":
            conn.rules.insert(0, Rule("@@os-release", error=CommandError("w1", "x", 255)))

    dialer = FakeDialer(configure=breaks_w1)
    monkeypatch.setattr(pool_module, "open_connection", dialer)
    with pytest.raises(KubexmError, match=r"1 of 3 hosts gave no facts:\n  w1: "):
        await build(loaded_config(), work_dir=tmp_path)
    assert dialer.closed() == HOSTS


async def test_unknown_selected_host_fails_before_dialling(
    dialer: FakeDialer, tmp_path: Path
) -> None:
    with pytest.raises(KubexmError, match="not in the config: ghost"):
        await build(loaded_config(), work_dir=tmp_path, hosts=["ghost"])
    assert dialer.settings == []


async def test_cancelled_build_closes_what_it_opened(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def hangs(conn: SimulatedConnection) -> None:
        conn.latency = 30.0 if conn.host == "w2" else 0.0

    dialer = FakeDialer(configure=hangs)
    monkeypatch.setattr(pool_module, "open_connection", dialer)
    task = asyncio.create_task(build(loaded_config(), work_dir=tmp_path))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert dialer.closed() == HOSTS


async def test_run_context_is_a_host_env_and_plan_context(
    dialer: FakeDialer, tmp_path: Path
) -> None:
    async with await build(loaded_config(), work_dir=tmp_path) as ctx:
        env: HostEnv = ctx  # checked by mypy: the engine's view of the runtime
        assert env.connection("w1") is dialer.made["w1"]
        assert isinstance(ctx, PlanContext)
        assert ctx.config is ctx.loaded.cluster
        assert ctx.hosts_with_role("worker") == ["w1", "w2"]
        assert ctx.hosts_with_role("master") == ["m1"]
        assert ctx.hosts_with_role("loadbalancer") == []
        facts = ctx.host_facts("m1")
        assert isinstance(facts, Facts)
        assert facts.default_ipv4 == "10.0.0.5"


async def test_host_caches_are_children_of_one_pipeline_cache(
    dialer: FakeDialer, tmp_path: Path
) -> None:
    async with await build(loaded_config(), work_dir=tmp_path, gather=False) as ctx:
        ctx.pipeline_cache.set("version", "v1.36.4")
        ctx.cache("m1").set("token", "abc")
        assert ctx.cache("m1") is ctx.cache("m1")
        assert ctx.cache("w1").get("version") == "v1.36.4"
        assert ctx.cache("w1").get("token") is None
        assert ctx.cache("m1").parent is ctx.pipeline_cache


async def test_default_logger_masks_config_secrets_and_writes_the_run_log(
    dialer: FakeDialer, tmp_path: Path
) -> None:
    async with await build(loaded_config(), work_dir=tmp_path, gather=False) as ctx:
        ctx.logger.emit(20, "login with gl0bal-Secret")
        log_path = ctx.logger.log_path
    assert log_path is not None
    assert log_path.parent == tmp_path / "demo" / "logs"
    event = json.loads(log_path.read_text().splitlines()[0])
    assert "gl0bal-Secret" not in event["message"]


async def test_given_logger_learns_the_secrets_and_stays_open(
    dialer: FakeDialer, tmp_path: Path
) -> None:
    logger = RunLogger(None, with_console=False)
    sink = ListSink()
    logger.add_sink(sink)
    async with await build(loaded_config(), work_dir=tmp_path, logger=logger) as ctx:
        assert ctx.run_id == logger.run_id
    logger.emit(20, "password gl0bal-Secret")
    assert "gl0bal-Secret" not in sink.messages()[0]
    logger.close()


async def test_close_is_idempotent_and_closes_connections(
    dialer: FakeDialer, tmp_path: Path
) -> None:
    ctx = await build(loaded_config(), work_dir=tmp_path)
    await ctx.close()
    await ctx.close()
    assert dialer.closed() == HOSTS
    with pytest.raises(StepError):
        ctx.connection("m1")


async def test_build_rejects_a_concurrency_below_one(dialer: FakeDialer, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        await build(loaded_config(), work_dir=tmp_path, connect_concurrency=0)


async def test_dry_run_is_carried_on_the_context(dialer: FakeDialer, tmp_path: Path) -> None:
    async with await build(loaded_config(), work_dir=tmp_path, dry_run=True) as ctx:
        assert ctx.dry_run


async def test_save_resolved_config_is_private_and_loads_back(
    dialer: FakeDialer, tmp_path: Path
) -> None:
    wd = tmp_path / "wd"
    async with await build(loaded_config(), work_dir=wd, gather=False) as ctx:
        assert not ctx.work_dir.config.exists()
        path = ctx.save_resolved_config()
        again = ctx.save_resolved_config()
    assert path == again == wd / "demo" / "config.yaml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((wd / "demo").stat().st_mode) == 0o700
    reloaded = validate_data(load_yaml_plain(path.read_text()))
    assert reloaded.cluster == ctx.config
    assert [p.name for p in (wd / "demo").iterdir() if p.name.startswith(".config-")] == []


async def test_save_resolved_config_reports_a_write_failure(
    dialer: FakeDialer, tmp_path: Path
) -> None:
    async with await build(loaded_config(), work_dir=tmp_path, gather=False) as ctx:
        ctx.work_dir.config.mkdir()  # a directory where the file goes: the rename fails
        with pytest.raises(KubexmError, match="cannot save the resolved config"):
            ctx.save_resolved_config()


def test_resolved_document_reveals_secrets_and_expands_ranges() -> None:
    doc = resolved_document(loaded_config().cluster)
    assert doc["spec"]["global"]["password"] == "gl0bal-Secret"
    assert doc["spec"]["roleGroups"]["worker"] == ["w1", "w2"]


def test_facts_mapping_is_read_only_and_complete() -> None:
    view: Mapping[str, object] = facts_mapping(Facts(os_id="debian", cpus=4))
    assert view["os_id"] == "debian"
    assert view["cpus"] == 4
    assert "versions" in view
    with pytest.raises(TypeError):
        view["cpus"] = 8  # type: ignore[index]  # the view is read-only on purpose


def test_a_context_made_by_hand_has_no_hosts(tmp_path: Path) -> None:
    ctx = RunContext(loaded_config(), WorkDir(tmp_path), RunLogger(None, with_console=False))
    assert ctx.hosts == []
    assert ctx.facts("m1") == {}
    assert not ctx.dry_run
