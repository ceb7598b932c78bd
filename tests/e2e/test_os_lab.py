"""Issue #6 item 2: the OS module prepares the lab hosts through the engine.

The hosts are containers with no route out: the base packages come from the test bundle's
Debian .deb closure placed where an unpacked offline bundle puts them (the work dir's
``artifacts/os/debian-12/amd64``). The first run changes every host, a second run changes
nothing, and the container's limits (read-only sysctls, no module loading, no CAP_SYS_TIME)
are warnings, not failures.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from kubexm.config import LoadedConfig, load_text
from kubexm.engine import EngineOptions
from kubexm.engine.result import RunResult
from kubexm.engine.scheduler import Engine
from kubexm.lab import LabHost, RunningLab
from kubexm.module.os import OSModule
from kubexm.plan import Graph
from kubexm.runner.host import Host
from kubexm.runner.system import ensure_hosts_block
from kubexm.runtime import build
from kubexm.task.os import LIMITS

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
OS_FOLDER = "os/debian-12/amd64"
CLEANUP = (
    "rm -f /etc/sysctl.d/99-kubexm.conf /etc/modules-load.d/kubexm.conf "
    "/etc/security/limits.d/99-kubexm.conf"
)


def _load_builder() -> ModuleType:
    path = ROOT / "tests" / "bundle" / "build_test_bundle.py"
    spec = importlib.util.spec_from_file_location("kubexm_build_test_bundle", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def os_config(hosts: list[LabHost]) -> LoadedConfig:
    """All lab hosts, offline, one extra /etc/hosts entry and one extra sysctl."""
    names = [h.name for h in hosts]
    lines = ["apiVersion: kubexm.io/v1alpha1", "kind: Cluster", "metadata: {name: os-lab}"]
    lines += ["spec:", "  global: {connectionTimeout: 10, offlineMode: true}", "  hosts:"]
    for h in hosts:
        lines.append(
            f"    - {{name: {h.name}, address: {h.address}, port: {h.port}, user: root,"
            f' privateKeyPath: "{h.root_key_path}"}}'
        )
    lines += ["  roleGroups:", f"    master: [{names[0]}]", f"    etcd: [{names[0]}]"]
    lines.append(f"    worker: [{', '.join(names[1:])}]")
    lines += ["  system:", "    timezone: UTC", "    sysctlParams: {net.ipv4.tcp_fin_timeout: 30}"]
    lines += ["  extra:", "    hosts: [{ip: 10.99.0.1, hostnames: [extra.kubexm.test]}]"]
    return load_text("\n".join(lines) + "\n", source="os-lab.yaml")


def stage_os_packages(work: Path) -> None:
    """Copy the test bundle's Debian package closure into the work dir's artifacts (copies:
    an unpacked bundle holds regular files, and SFTP would recreate a symlink as a link)."""
    builder = _load_builder()
    try:
        _, _, root, _ = builder.prepare()
    except builder.TestBundleUnavailable as exc:
        pytest.skip(f"cannot build the test bundle here: {exc}")
    target = work / "os-lab" / "artifacts" / OS_FOLDER
    target.mkdir(parents=True)
    for deb in sorted((root / OS_FOLDER).glob("*.deb")):
        shutil.copyfile(deb, target / deb.name)


async def run_os(loaded: LoadedConfig, work: Path) -> RunResult:
    async with await build(loaded, work_dir=work) as ctx:
        fragment = OSModule().plan(ctx)
        assert fragment is not None
        return await Engine(Graph.from_fragment(fragment, "os"), ctx, EngineOptions()).run()


def changed_hosts(result: RunResult) -> set[str]:
    return {o.host for o in result.outcomes.values() if str(o.status) == "changed"}


async def spot_check(loaded: LoadedConfig, work: Path, host: LabHost) -> None:
    async with await build(loaded, work_dir=work) as ctx:
        conn = ctx.connection(host.name)
        out = (await conn.run("hostname; readlink /etc/localtime", check=True)).stdout.split()
        assert out[0] == host.name
        assert out[1].endswith("zoneinfo/UTC")
        hosts = (await conn.run("cat /etc/hosts", check=True)).stdout
        assert "127.0.0.1" in hosts and "localhost" in hosts
        for other in loaded.cluster.spec.hosts:
            assert f"{other.address} {other.name} {other.name}.cluster.local" in hosts
        assert "10.99.0.1 extra.kubexm.test" in hosts
        first_master = loaded.cluster.masters[0].address  # one master, no LB: it is the target
        assert f"{first_master} lb.kubexm.local" in hosts
        sysctl = (await conn.run("cat /etc/sysctl.d/99-kubexm.conf", check=True)).stdout
        assert "net.ipv4.ip_forward = 1" in sysctl
        assert "net.ipv4.tcp_fin_timeout = 30" in sysctl
        assert "vm.overcommit_memory = 1" in sysctl
        live = await conn.run("cat /proc/sys/net/ipv4/ip_forward", check=True)
        assert live.stdout.strip() == "1"
        modules = (await conn.run("cat /etc/modules-load.d/kubexm.conf", check=True)).stdout
        assert modules.split() == [
            "overlay", "br_netfilter", "nf_conntrack", "ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh"
        ]  # fmt: skip
        limits = await conn.run("cat /etc/security/limits.d/99-kubexm.conf", check=True)
        assert f"* hard nofile {LIMITS[0][1]}" in limits.stdout
        assert (await conn.run("command -v socat conntrack chronyd", check=False)).ok


async def cleanup(loaded: LoadedConfig, work: Path) -> None:
    """Remove what other lab tests could trip over: the hosts block and our config files."""
    async with await build(loaded, work_dir=work) as ctx:
        for name in ctx.hosts:
            host = Host(ctx.connection(name))
            await ensure_hosts_block(host, [])
            await host.run(CLEANUP, check=False)


async def test_os_module_prepares_every_host_then_changes_nothing(
    lab: RunningLab, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    loaded = os_config(lab.hosts)
    stage_os_packages(tmp_path)
    try:
        with caplog.at_level(logging.WARNING):
            first = await run_os(loaded, tmp_path)
        assert first.ok, [(o.node, o.message) for o in first.failed()]
        assert changed_hosts(first) == {h.name for h in lab.hosts}
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("refuses sysctl" in w for w in warnings), warnings

        second = await run_os(loaded, tmp_path)
        assert second.ok, [(o.node, o.message) for o in second.failed()]
        assert changed_hosts(second) == set(), second.counts()
        for host in lab.hosts:
            await spot_check(loaded, tmp_path, host)
    finally:
        await cleanup(loaded, tmp_path)
