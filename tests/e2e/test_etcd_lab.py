"""EtcdModule on real lab hosts with etcd 3.4.23 from the test bundle (upstream tarball form).

One test, three runs: a 3-member mutual-TLS cluster on hosts 1-3 (healthy, a key written on
one member is read on another); a second run with host 4 added to the etcd group joins it
through ``member add``; a third run changes nothing and restarts no etcd. The hosts are
cleaned in a ``finally`` so later tests start from clean hosts.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

from kubexm.config import LoadedConfig, load_text
from kubexm.engine import EngineOptions
from kubexm.engine.events import Status
from kubexm.engine.result import RunResult
from kubexm.engine.scheduler import Engine
from kubexm.lab import LabHost, RunningLab
from kubexm.module.etcd import EtcdModule
from kubexm.plan import Graph
from kubexm.runner.archives import marker_path
from kubexm.runtime import build
from kubexm.step.etcd.install_etcd_binaries import STAGING_DIR
from kubexm.step.etcd.render import ETCDCTL_WRAPPER

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[2]
VERSION = "3.4.23"
TARBALL = f"etcd-v{VERSION}-linux-amd64.tar.gz"
CLEANUP = (
    "systemctl disable --now etcd.service etcd-backup.timer etcd-backup.service 2>/dev/null; "
    "rm -rf /var/lib/etcd /etc/etcd.env /etc/etcd.join.env /etc/kubernetes/pki/etcd "
    "/etc/systemd/system/etcd.service /etc/systemd/system/etcd-backup.service "
    "/etc/systemd/system/etcd-backup.timer /usr/local/kubexm/bin/etcd.sh /var/backups/etcd "
    "/usr/local/bin/etcd /usr/local/bin/etcdctl /usr/local/bin/etcdctl.sh "
    f"/var/lib/kubexm/etcd.applied {STAGING_DIR}/{TARBALL} "
    f"{marker_path(f'{STAGING_DIR}/{TARBALL}', '/usr/local/bin')}; "
    "systemctl daemon-reload"
)


def etcd_tarball() -> Path:
    """The test bundle's etcd tarball, built (or reused) by the bundle builder."""
    sys.path.insert(0, str(REPO / "tests" / "bundle"))
    import build_test_bundle as tb

    try:
        _, _, root, _ = tb.prepare()
    except tb.TestBundleUnavailable as exc:
        pytest.skip(f"no test bundle here: {exc}")
    return root / "cache" / "etcd" / VERSION / "amd64" / TARBALL


def lab_config(hosts: list[LabHost], etcd: list[LabHost]) -> LoadedConfig:
    lines = ["apiVersion: kubexm.io/v1alpha1", "kind: Cluster", "metadata: {name: etcd-lab}"]
    lines += ["spec:", "  global: {connectionTimeout: 10}", "  hosts:"]
    for h in hosts:
        lines.append(
            f"    - {{name: {h.name}, address: {h.address}, port: {h.port}, user: root,"
            f' privateKeyPath: "{h.root_key_path}"}}'
        )
    lines += ["  roleGroups:", f"    master: [{hosts[0].name}]"]
    lines.append(f"    etcd: [{', '.join(h.name for h in etcd)}]")
    lines.append(f"    worker: [{hosts[-1].name}]")
    lines += ["  kubernetes: {type: kubeadm, version: v1.36.4}"]
    lines += [f"  etcd: {{type: kubexm, version: {VERSION}}}"]
    return load_text("\n".join(lines) + "\n", source="etcd-lab.yaml")


async def deploy(loaded: LoadedConfig, work: Path) -> RunResult:
    async with await build(loaded, work_dir=work) as ctx:
        fragment = EtcdModule().plan(ctx)
        assert fragment is not None
        result = await Engine(Graph.from_fragment(fragment, "etcd"), ctx, EngineOptions()).run()
    assert result.ok, [(o.node, o.message) for o in result.failed()]
    return result


async def sh(lab: RunningLab, host: LabHost, cmd: str) -> str:
    # A fresh work dir per call: the lab may be rebuilt between sessions with new host keys.
    with tempfile.TemporaryDirectory(prefix="kx-etcd-sh-") as work:
        return await _sh(host, cmd, Path(work))


async def _sh(host: LabHost, cmd: str, work: Path) -> str:
    async with await build(lab_config([host], [host]), work_dir=work) as ctx:
        return (await ctx.connection(host.name).run(cmd, timeout=60)).stdout


async def cleanup(lab: RunningLab, hosts: list[LabHost]) -> None:
    for host in hosts:
        try:
            await sh(lab, host, CLEANUP)
        except Exception as exc:
            sys.stderr.write(f"\ncleanup of {host.name} failed: {exc}\n")


def changed(result: RunResult) -> list[str]:
    return [o.node for o in result.outcomes.values() if o.status is Status.CHANGED]


async def test_etcd_cluster_bootstraps_joins_a_member_and_then_changes_nothing(
    lab: RunningLab, tmp_path: Path
) -> None:
    if len(lab.hosts) < 4:
        pytest.skip("needs 4 lab hosts")
    hosts = lab.hosts[:4]
    tarball = etcd_tarball()
    work = tmp_path / "work"
    cached = work / "etcd-lab" / "artifacts" / "etcd" / VERSION / "amd64" / TARBALL
    cached.parent.mkdir(parents=True)
    shutil.copyfile(tarball, cached)
    await cleanup(lab, hosts)
    try:
        started = time.monotonic()
        first = await deploy(lab_config(hosts, hosts[:3]), work)
        bootstrap_s = time.monotonic() - started
        assert changed(first)
        await sh(lab, hosts[0], f"{ETCDCTL_WRAPPER} put /kx/hello world")
        value = await sh(lab, hosts[2], f"{ETCDCTL_WRAPPER} get /kx/hello --print-value-only")
        assert value.strip() == "world"
        health = await sh(lab, hosts[1], f"{ETCDCTL_WRAPPER} endpoint health --cluster 2>&1")
        assert health.count("is healthy") == 3, health

        started = time.monotonic()
        second = await deploy(lab_config(hosts, hosts), work)
        join_s = time.monotonic() - started
        assert any(n.startswith("etcd/join-etcd-member@") for n in changed(second))
        members = await sh(lab, hosts[3], f"{ETCDCTL_WRAPPER} member list")
        assert sorted(line.split(", ")[2] for line in members.splitlines()) == sorted(
            h.name for h in hosts
        )
        value = await sh(lab, hosts[3], f"{ETCDCTL_WRAPPER} get /kx/hello --print-value-only")
        assert value.strip() == "world"

        stamp = "systemctl show -p ActiveEnterTimestamp etcd"
        before = [await sh(lab, h, stamp) for h in hosts]
        third = await deploy(lab_config(hosts, hosts), work)
        assert changed(third) == []
        assert [await sh(lab, h, stamp) for h in hosts] == before
        sys.stderr.write(
            f"\netcd lab: 3-member bootstrap {bootstrap_s:.1f} s, join of a 4th {join_s:.1f} s\n"
        )
    finally:
        await cleanup(lab, hosts)
