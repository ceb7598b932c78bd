"""Benchmark: kubexm's SSH connector beside the OpenSSH client, on the same hosts, same run.

For each host it prints the median time of a no-op command on a reused connection (kubexm:
one asyncssh connection; OpenSSH: ``ssh`` through a ControlMaster socket) and the throughput of
a 100 MB ``put`` (kubexm: SFTP to a temp name, then rename; OpenSSH: ``scp`` over the same
master). Every ratio printed is kubexm relative to OpenSSH: above 1.0 means kubexm is faster.

    python bench/ssh_fanout.py                                   # loopback sshd (needs root)
    python bench/ssh_fanout.py --hosts root@10.0.0.5:22,ops@10.0.0.6:2222 --key ~/.ssh/id_ed25519

Prints figures only; it is not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from kubexm.connector.settings import SSHSettings
from kubexm.connector.ssh import SSHConnection, connect_ssh

HARNESS = Path(__file__).resolve().parent.parent / "tests/unit/connector/loopback_sshd.py"
REMOTE_FILE = "/tmp/kubexm-bench-100m"
PUT_ROUNDS = 3


@dataclass(frozen=True)
class Target:
    user: str
    address: str
    port: int


def parse_hosts(text: str) -> list[Target]:
    """``user@addr:port,...`` (user defaults to root, port to 22)."""
    targets = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        user, _, rest = item.rpartition("@")
        address, _, port = rest.rpartition(":") if ":" in rest else (rest, "", "22")
        targets.append(Target(user or "root", address, int(port)))
    return targets


def load_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("loopback_sshd", HARNESS)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {HARNESS}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["loopback_sshd"] = module
    spec.loader.exec_module(module)
    return module


class OpenSSH:
    """The OpenSSH client with a ControlMaster, so commands reuse one connection too."""

    def __init__(self, target: Target, key: Path, workdir: Path) -> None:
        self.dest = f"{target.user}@{target.address}"
        self.common = [
            "-i", str(key), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
            "-o", "StrictHostKeyChecking=accept-new",
            "-o", f"UserKnownHostsFile={workdir / 'openssh_known_hosts'}",
            "-o", "ControlMaster=auto", "-o", f"ControlPath={workdir}/cm-%C",
            "-o", "ControlPersist=120",
        ]  # fmt: skip
        self.port = str(target.port)

    def run(self, command: str) -> None:
        cmd = ["ssh", *self.common, "-p", self.port, self.dest, command]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    def copy(self, local: Path, remote: str) -> None:
        cmd = ["scp", "-q", *self.common, "-P", self.port, str(local), f"{self.dest}:{remote}"]
        subprocess.run(cmd, check=True)

    def stop(self) -> None:
        cmd = ["ssh", *self.common, "-p", self.port, "-O", "exit", self.dest]
        subprocess.run(cmd, check=False, capture_output=True)


async def kubexm_noop(conn: SSHConnection, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await conn.run("true")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def openssh_noop(client: OpenSSH, rounds: int) -> float:
    client.run("true")  # opens the master
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        client.run("true")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def kubexm_put(conn: SSHConnection, blob: Path, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        await conn.run(f"rm -f {REMOTE_FILE}")
        start = time.perf_counter()
        changed = await conn.put(blob, REMOTE_FILE, mode=0o600)
        times.append(time.perf_counter() - start)
        if not changed:
            raise SystemExit("put skipped the transfer: remote file was not removed")
    return statistics.median(times)


def openssh_put(client: OpenSSH, blob: Path, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        client.run(f"rm -f {REMOTE_FILE}")
        start = time.perf_counter()
        client.copy(blob, REMOTE_FILE)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def bench_host(target: Target, key: Path, blob: Path, rounds: int, work: Path) -> None:
    settings = SSHSettings(
        host_name=f"{target.address}:{target.port}",
        address=target.address,
        port=target.port,
        user=target.user,
        private_key_path=key,
        known_hosts_path=work / "kubexm_known_hosts",
    )
    conn = await connect_ssh(settings)
    client = OpenSSH(target, key, work)
    try:
        ours_noop = await kubexm_noop(conn, rounds)
        theirs_noop = openssh_noop(client, rounds)
        ours_put = await kubexm_put(conn, blob, PUT_ROUNDS)
        theirs_put = await asyncio.to_thread(openssh_put, client, blob, PUT_ROUNDS)
        await conn.run(f"rm -f {REMOTE_FILE}")
    finally:
        client.stop()
        await conn.close()
    size_mb = blob.stat().st_size / 1e6
    print(f"host {settings.host_name} ({target.user})")
    print(
        f"  no-op command, median of {rounds}: kubexm {ours_noop * 1000:.1f} ms, "
        f"openssh {theirs_noop * 1000:.1f} ms, speed ratio {theirs_noop / ours_noop:.2f}"
    )
    print(
        f"  put {size_mb:.0f} MB, median of {PUT_ROUNDS}: kubexm {size_mb / ours_put:.0f} MB/s, "
        f"scp {size_mb / theirs_put:.0f} MB/s, throughput ratio {theirs_put / ours_put:.2f}"
    )


async def main_async(args: argparse.Namespace, work: Path) -> None:
    blob = work / "blob"
    with blob.open("wb") as out:
        out.write(os.urandom(args.size_mb * 1_000_000))
    print("(ratios are kubexm relative to OpenSSH; above 1.0 means kubexm is faster)")
    for target in parse_hosts(args.hosts):
        await bench_host(target, Path(args.key), blob, args.rounds, work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", help="user@addr:port,... (default: a loopback sshd)")
    parser.add_argument("--key", help="private key for every host")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--size-mb", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubexm-bench-") as tmp:
        work = Path(tmp)
        if args.hosts:
            if not args.key:
                parser.error("--key is required with --hosts")
            asyncio.run(main_async(args, work))
            return
        harness = load_harness()
        reason = harness.available()
        if reason:
            raise SystemExit(f"cannot start the loopback sshd: {reason}")
        server = harness.LoopbackSSHD(work / "sshd").start()
        try:
            args.hosts, args.key = f"root@127.0.0.1:{server.port}", str(server.client_key)
            asyncio.run(main_async(args, work))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
