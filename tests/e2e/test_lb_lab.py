"""The load-balancer module on real lab hosts (issue #6 item 5).

Hosts 1-2 are masters with a plain TCP listener on :6443 standing in for kube-apiserver
(each answers its host name), hosts 3-4 are ``loadbalancer`` hosts and the VIP is
10.77.0.100. For kubexm-kh and kubexm-kn: the VIP is held by one LB host, moves to the other
within 10 s when the proxy stops there, and TCP through the VIP reaches both masters; the same
for kubexm-kh with ``keepalived.unicast`` and a set ``virtualRouterId``. The
internal haproxy on a worker (host 3) forwards 127.0.0.1:6443 to the masters. Every second
run changes nothing and restarts nothing. Packages are installed offline from the test
bundle's .deb closure. Everything the tests start is stopped in ``finally``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import socket
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from kubexm.config import LoadedConfig
from kubexm.config.loader import load_text
from kubexm.connector.base import Connection
from kubexm.engine import EngineOptions, RunResult
from kubexm.engine.scheduler import Engine
from kubexm.lab import LabHost, RunningLab
from kubexm.module.lb import LBModule
from kubexm.plan import Graph
from kubexm.runtime import build

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
OS_FOLDER = "os/debian-12/amd64"
VIP = "10.77.0.100"
PORT = 6443
BACKEND_UNIT = "kubexm-lbtest-backend"
FAILOVER_LIMIT = 10.0
SERVICES = ("keepalived", "haproxy", "nginx")
BACKEND = (
    "import socket\n"
    "s = socket.socket()\n"
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    f"s.bind(('0.0.0.0', {PORT}))\n"
    "s.listen(64)\n"
    "name = socket.gethostname().encode()\n"
    "while True:\n"
    "    c, _ = s.accept()\n"
    "    c.sendall(name + b'\\n')\n"
    "    c.close()\n"
)
UNICAST_VRID = 77
UNICAST = f"keepalived: {{unicast: true, virtualRouterId: {UNICAST_VRID}}}"
CLEAN_LB_HOST = (
    "for s in keepalived haproxy nginx; do systemctl disable --now $s >/dev/null 2>&1; done; "
    f"ip addr del {VIP}/32 dev eth0 2>/dev/null; "
    "rm -f /etc/keepalived/keepalived.conf /etc/keepalived/kubexm-check-lb.sh; true"
)


def _load_builder() -> ModuleType:
    path = ROOT / "tests" / "bundle" / "build_test_bundle.py"
    spec = importlib.util.spec_from_file_location("kubexm_build_test_bundle_lb", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def stage_os_packages(work: Path, cluster: str) -> None:
    """Copy the test bundle's Debian package closure into the work dir's artifacts."""
    builder = _load_builder()
    try:
        _, _, root, _ = builder.prepare()
    except builder.TestBundleUnavailable as exc:
        pytest.skip(f"cannot build the test bundle here: {exc}")
    target = work / cluster / "artifacts" / OS_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    for deb in sorted((root / OS_FOLDER).glob("*.deb")):
        shutil.copyfile(deb, target / deb.name)


def lb_config(hosts: list[LabHost], name: str, endpoint: str, roles: dict[str, list[int]]) -> str:
    """A kubexm-mode config over the lab hosts; ``roles`` maps role -> host indexes."""
    lines = ["apiVersion: kubexm.io/v1alpha1", "kind: Cluster", f"metadata: {{name: {name}}}"]
    lines += ["spec:", "  global: {connectionTimeout: 10, offlineMode: true}", "  hosts:"]
    for h in hosts:
        lines.append(
            f"    - {{name: {h.name}, address: {h.address}, port: {h.port}, user: root,"
            f' privateKeyPath: "{h.root_key_path}"}}'
        )
    lines.append("  roleGroups:")
    for role, indexes in roles.items():
        lines.append(f"    {role}: [{', '.join(hosts[i].name for i in indexes)}]")
    lines += ["  kubernetes: {type: kubexm}", f"  controlPlaneEndpoint: {{{endpoint}}}"]
    return "\n".join(lines) + "\n"


async def run_lb(loaded: LoadedConfig, work: Path) -> RunResult:
    async with await build(loaded, work_dir=work) as ctx:
        fragment = LBModule().plan(ctx)
        assert fragment is not None
        return await Engine(Graph.from_fragment(fragment, "lb"), ctx, EngineOptions()).run()


def statuses(result: RunResult) -> set[str]:
    return {str(o.status) for o in result.outcomes.values()}


async def on_hosts(loaded: LoadedConfig, work: Path, names: list[str], cmd: str) -> list[str]:
    """Run ``cmd`` on each host (no facts), return the stdouts."""
    async with await build(loaded, work_dir=work, gather=False) as ctx:
        conns: list[Connection] = [ctx.connection(n) for n in names]
        results = await asyncio.gather(*(c.run(cmd, check=False) for c in conns))
        return [r.stdout for r in results]


async def start_backends(loaded: LoadedConfig, work: Path, names: list[str]) -> None:
    quoted = BACKEND.replace("'", "'\"'\"'")
    cmd = (
        f"systemctl stop {BACKEND_UNIT} 2>/dev/null; systemctl reset-failed {BACKEND_UNIT} "
        f"2>/dev/null; systemd-run --unit={BACKEND_UNIT} --collect python3 -c '{quoted}' "
        f"&& sleep 1 && systemctl is-active {BACKEND_UNIT}"
    )
    outs = await on_hosts(loaded, work, names, cmd)
    assert all(o.strip().endswith("active") for o in outs), outs


def answer(address: str, port: int = PORT) -> str:
    """The host name a backend sends through the load balancer."""
    with socket.create_connection((address, port), timeout=3) as conn:
        return conn.recv(64).decode().strip()


def answers_over(address: str, tries: int = 12) -> set[str]:
    seen = set()
    for _ in range(tries):
        seen.add(answer(address))
    return seen


async def vip_holders(loaded: LoadedConfig, work: Path, names: list[str]) -> list[str]:
    outs = await on_hosts(loaded, work, names, "ip -br addr show")
    return [n for n, out in zip(names, outs, strict=True) if f"{VIP}/" in out]


async def wait_holder(
    loaded: LoadedConfig, work: Path, names: list[str], want: str, limit: float
) -> float:
    """Seconds until ``want`` is the only host of ``names`` holding the VIP."""
    started = time.monotonic()
    holders: list[str] = []
    while time.monotonic() - started < limit:
        holders = await vip_holders(loaded, work, names)
        if holders == [want]:
            return time.monotonic() - started
        await asyncio.sleep(0.3)
    raise AssertionError(f"VIP not held by {want} alone after {limit}s: {holders}")


async def main_pids(loaded: LoadedConfig, work: Path, names: list[str], svc: str) -> list[str]:
    cmd = f"systemctl show -p MainPID --value {svc} keepalived"
    return await on_hosts(loaded, work, names, cmd)


async def assert_unicast_config(loaded: LoadedConfig, work: Path, lbs: list[LabHost]) -> None:
    """Each of the two LB hosts advertises from its own address to the other, on the set id."""
    names = [h.name for h in lbs]
    outs = await on_hosts(loaded, work, names, "cat /etc/keepalived/keepalived.conf")
    for host, peer, text in zip(lbs, reversed(lbs), outs, strict=True):
        assert f"virtual_router_id {UNICAST_VRID}\n" in text, text
        assert f"unicast_src_ip {host.address}\n" in text, text
        assert f"unicast_peer {{\n        {peer.address}\n    }}" in text, text


async def cleanup(loaded: LoadedConfig, work: Path, lbs: list[str], masters: list[str]) -> None:
    await on_hosts(loaded, work, lbs, CLEAN_LB_HOST)
    await on_hosts(loaded, work, masters, f"systemctl stop {BACKEND_UNIT} 2>/dev/null; true")


@pytest.mark.parametrize(
    ("kind", "proxy", "keepalived"),
    [("kubexm-kh", "haproxy", ""), ("kubexm-kn", "nginx", ""), ("kubexm-kh", "haproxy", UNICAST)],
    ids=["kubexm-kh-haproxy", "kubexm-kn-nginx", "kubexm-kh-haproxy-unicast"],
)
async def test_vip_moves_when_the_proxy_stops_and_reaches_every_master(
    lab: RunningLab, tmp_path: Path, kind: str, proxy: str, keepalived: str
) -> None:
    hosts = lab.hosts[:4]
    if len(hosts) < 4:
        pytest.skip("needs 4 lab hosts")
    name = f"lb-{proxy}-unicast" if keepalived else f"lb-{proxy}"
    roles = {"master": [0, 1], "etcd": [0], "loadbalancer": [2, 3]}
    endpoint = f"address: {VIP}, externalLoadBalancer: {kind}"
    endpoint += f", {keepalived}" if keepalived else ""
    text = lb_config(hosts, name, endpoint, roles)
    loaded = load_text(text, source="lb-lab.yaml")
    stage_os_packages(tmp_path, name)
    masters, lbs = [h.name for h in hosts[:2]], [h.name for h in hosts[2:]]
    try:
        await cleanup(loaded, tmp_path, lbs, masters)
        await start_backends(loaded, tmp_path, masters)
        first = await run_lb(loaded, tmp_path)
        assert first.ok, [(o.node, o.message) for o in first.failed()]
        if keepalived:
            await assert_unicast_config(loaded, tmp_path, hosts[2:])
        # The first LB host has the highest priority: it holds the VIP (preempting a peer
        # that started first).
        holder = lbs[0]
        took = await wait_holder(loaded, tmp_path, lbs, holder, FAILOVER_LIMIT)
        assert answers_over(VIP) == set(masters)

        await on_hosts(loaded, tmp_path, [holder], f"systemctl stop {proxy}")
        failover = await wait_holder(loaded, tmp_path, lbs, lbs[1], FAILOVER_LIMIT)
        assert answers_over(VIP) == set(masters)
        sys.stderr.write(f"\n{kind}: VIP up {took:.1f}s, failover {failover:.1f}s\n")

        await on_hosts(loaded, tmp_path, [holder], f"systemctl start {proxy}")
        await wait_holder(loaded, tmp_path, lbs, holder, FAILOVER_LIMIT)  # preempts back
        pids = await main_pids(loaded, tmp_path, lbs, proxy)
        second = await run_lb(loaded, tmp_path)
        assert second.ok and statuses(second) == {"unchanged"}, second.counts()
        assert await main_pids(loaded, tmp_path, lbs, proxy) == pids
    finally:
        await cleanup(loaded, tmp_path, lbs, masters)
    assert await vip_holders(loaded, tmp_path, lbs) == []


async def test_internal_haproxy_on_a_worker_forwards_loopback_to_the_masters(
    lab: RunningLab, tmp_path: Path
) -> None:
    hosts = lab.hosts[:3]
    if len(hosts) < 3:
        pytest.skip("needs 3 lab hosts")
    name = "lb-internal"
    roles = {"master": [0, 1], "etcd": [0], "worker": [2]}
    loaded = load_text(
        lb_config(hosts, name, "internalLoadbalancer: haproxy", roles), source="lb-lab.yaml"
    )
    stage_os_packages(tmp_path, name)
    masters, worker = [h.name for h in hosts[:2]], hosts[2].name
    probe = (
        'for i in 1 2 3 4 5 6 7 8; do python3 -c "import socket; '
        f"c = socket.create_connection(('127.0.0.1', {PORT}), 3); "
        'print(c.recv(64).decode().strip())"; done'
    )
    try:
        await cleanup(loaded, tmp_path, [worker], masters)
        await start_backends(loaded, tmp_path, masters)
        first = await run_lb(loaded, tmp_path)
        assert first.ok, [(o.node, o.message) for o in first.failed()]
        await asyncio.sleep(3)  # the health checks need rise=2 intervals to mark servers up
        (out,) = await on_hosts(loaded, tmp_path, [worker], probe)
        assert set(out.split()) == set(masters), out

        pids = await main_pids(loaded, tmp_path, [worker], "haproxy")
        second = await run_lb(loaded, tmp_path)
        assert second.ok and statuses(second) == {"unchanged"}, second.counts()
        assert await main_pids(loaded, tmp_path, [worker], "haproxy") == pids
    finally:
        await cleanup(loaded, tmp_path, [worker], masters)
