"""The run context against real lab hosts: parallel connections, facts of every host, and
the diagnosis that names a host that is down.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

from kubexm.config import LoadedConfig, load_text
from kubexm.connector import pool as pool_module
from kubexm.connector.base import Connection
from kubexm.connector.pool import HostSettings
from kubexm.errors import KubexmError
from kubexm.lab import LabHost, RunningLab
from kubexm.runtime import build

pytestmark = pytest.mark.lab


def lab_config(hosts: list[LabHost], *, timeout: int = 10) -> LoadedConfig:
    """A config over the lab hosts, logging in as root with the lab key."""
    names = [h.name for h in hosts]
    lines = ["apiVersion: kubexm.io/v1alpha1", "kind: Cluster", "metadata: {name: rt-lab}"]
    lines += ["spec:", f"  global: {{connectionTimeout: {timeout}}}", "  hosts:"]
    for h in hosts:
        lines.append(
            f"    - {{name: {h.name}, address: {h.address}, port: {h.port}, user: root,"
            f' privateKeyPath: "{h.root_key_path}"}}'
        )
    lines += ["  roleGroups:", f"    master: [{names[0]}]", f"    etcd: [{names[0]}]"]
    lines.append(f"    worker: [{', '.join(names[1:])}]")
    return load_text("\n".join(lines) + "\n", source="lab.yaml")


async def test_build_connects_in_parallel_and_gathers_facts_of_every_host(
    lab: RunningLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = pool_module.open_connection
    inflight, peak = 0, 0

    async def counting_open(settings: HostSettings, **kwargs: object) -> Connection:
        nonlocal inflight, peak
        inflight += 1
        peak = max(peak, inflight)
        try:
            return await real_open(settings)
        finally:
            inflight -= 1

    monkeypatch.setattr(pool_module, "open_connection", counting_open)
    started = time.monotonic()
    async with await build(lab_config(lab.hosts), work_dir=tmp_path) as ctx:
        seconds = time.monotonic() - started
        assert ctx.hosts == [h.name for h in lab.hosts]
        for h in lab.hosts:
            facts = ctx.facts(h.name)
            assert facts["os_id"] == "debian"
            assert facts["init_system"] == "systemd"
            assert facts["cgroup_version"] in (1, 2)
            assert facts["default_ipv4"] == h.address
            typed = ctx.host_facts(h.name)
            assert typed is not None
            assert h.address in [a.address for a in typed.addresses]
            result = await ctx.connection(h.name).run("hostname")
            assert result.stdout.strip() == typed.hostname
    assert peak == len(lab.hosts)
    assert (tmp_path / "rt-lab" / "known_hosts").read_text().count("\n") >= len(lab.hosts)
    sys.stderr.write(f"\nruntime: {len(lab.hosts)} hosts connected + facts in {seconds:.2f} s\n")


async def test_a_stopped_host_is_named_with_its_diagnosis(lab: RunningLab, tmp_path: Path) -> None:
    down = lab.hosts[-1]
    loaded = lab_config(lab.hosts, timeout=3)
    # Learn the host keys first, so the failure below is about reachability only.
    async with await build(loaded, work_dir=tmp_path, gather=False):
        pass
    lab.stop(down.name)
    try:
        with pytest.raises(KubexmError) as info:
            await asyncio.wait_for(build(loaded, work_dir=tmp_path), 120)
    finally:
        lab.start(down.name)
    sys.stderr.write(f"\nruntime: diagnosis: {info.value}\n")
    lines = info.value.message.splitlines()
    assert len(lines) == 2
    assert lines[0] == f"1 of {len(lab.hosts)} hosts failed to connect:"
    assert lines[1].startswith(f"  {down.name}: ")
    assert down.address in lines[1]
