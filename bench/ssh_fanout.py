"""Benchmark: kubexm's SSH connector beside the OpenSSH client, on the same hosts, same run.

For a group of hosts it prints the median wall time of a no-op command run on every host at
once over reused connections (kubexm: one asyncssh connection per host; OpenSSH: ``ssh``
through a ControlMaster socket per host), and the aggregate throughput of a 100 MB ``put`` to
every host at once (kubexm: ``put``, i.e. a file this big streamed into ``cat`` to a temp name,
then renamed; OpenSSH: ``scp`` over the same master). The two clients take turns round by
round, so a change in the machine's load hits both alike. Every ratio printed is kubexm
relative to OpenSSH: above 1.0 means kubexm is faster.

    python bench/ssh_fanout.py                                   # loopback sshd (needs root)
    python bench/ssh_fanout.py --hosts root@10.0.0.5:22,ops@10.0.0.6:2222 --key ~/.ssh/id_ed25519
    python bench/ssh_fanout.py --lab 8                           # lab hosts, groups of 1, 4, 8

``--hosts`` and the loopback mode measure each host alone. ``--lab N`` uses the lab that is up
(saying so when it has fewer than N hosts) or brings up N hosts and takes them down again at
the end; it measures groups of 1, 4 and 8 hosts, up to what the lab has.

Prints figures only; it is not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from kubexm.connector.settings import SSHSettings
from kubexm.connector.ssh import SSHConnection, connect_ssh
from kubexm.errors import LabError
from kubexm.lab import LabState, Paths, down, lease_holders, load_state, take_lease, up

HARNESS = Path(__file__).resolve().parent.parent / "tests/unit/connector/loopback_sshd.py"
REMOTE_FILE = "/tmp/kubexm-bench-100m"
PUT_ROUNDS = 5
LAB_GROUPS = (1, 4, 8)


@dataclass(frozen=True)
class Target:
    user: str
    address: str
    port: int

    @property
    def label(self) -> str:
        return f"{self.user}@{self.address}:{self.port}"


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


async def _spawn(argv: list[str]) -> None:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL
    )
    if await proc.wait() != 0:
        raise BenchError(f"{argv[0]} failed (exit {proc.returncode}): {' '.join(argv[-3:])}")


class BenchError(Exception):
    """A client failed mid-measurement; reported as one line, the figures are void."""


class OpenSSH:
    """The OpenSSH client with a ControlMaster, so commands reuse one connection too."""

    def __init__(self, target: Target, key: Path, workdir: Path) -> None:
        self.dest = f"{target.user}@{target.address}"
        self.common = [
            "-i", str(key), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
            "-o", "StrictHostKeyChecking=accept-new",
            "-o", f"UserKnownHostsFile={workdir / 'openssh_known_hosts'}",
            "-o", "ControlMaster=auto", "-o", f"ControlPath={workdir}/cm-%C",
            "-o", "ControlPersist=120", "-o", "LogLevel=ERROR",
        ]  # fmt: skip
        self.port = str(target.port)

    async def run(self, command: str) -> None:
        await _spawn(["ssh", *self.common, "-p", self.port, self.dest, command])

    async def copy(self, local: Path, remote: str) -> None:
        await _spawn(
            ["scp", "-q", *self.common, "-P", self.port, str(local), f"{self.dest}:{remote}"]
        )

    async def open_master(self, attempts: int = 3) -> None:
        """Start the ControlMaster; a master that dies while starting (seen on busy
        machines) is started again before giving up."""
        for attempt in range(attempts):
            try:
                await self.run("true")
            except BenchError:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.5)
            else:
                return

    async def stop(self) -> None:
        argv = ["ssh", *self.common, "-p", self.port, "-O", "exit", self.dest]
        proc = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        await proc.wait()


Workload = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Figures:
    """Medians in seconds for one group: a no-op round and a put round, kubexm and OpenSSH."""

    ours_noop: float
    theirs_noop: float
    ours_put: float
    theirs_put: float


async def _timed(workload: Workload, before: Workload | None) -> float:
    if before is not None:
        await before()
    start = time.perf_counter()
    await workload()
    return time.perf_counter() - start


async def paired_medians(
    rounds: int, ours: Workload, theirs: Workload, before: Workload | None = None
) -> tuple[float, float]:
    """Median wall times of ``rounds`` runs of ``ours`` and of ``theirs``, taken in turns
    (who goes first alternates), so a change in the machine's load hits both alike.
    ``before`` runs untimed before every run."""
    mine: list[float] = []
    other: list[float] = []
    for index in range(rounds):
        pair = [(ours, mine), (theirs, other)]
        for workload, times in pair if index % 2 == 0 else reversed(pair):
            times.append(await _timed(workload, before))
    return statistics.median(mine), statistics.median(other)


async def measure(
    conns: Sequence[SSHConnection],
    clients: Sequence[OpenSSH],
    blob: Path,
    rounds: int,
    put_rounds: int = PUT_ROUNDS,
) -> Figures:
    """Run each workload on every host at once (the OpenSSH masters are opened first)."""

    async def ours_noop() -> None:
        await asyncio.gather(*(c.run("true") for c in conns))

    async def theirs_noop() -> None:
        await asyncio.gather(*(c.run("true") for c in clients))

    async def ours_put() -> None:
        changed = await asyncio.gather(*(c.put(blob, REMOTE_FILE, mode=0o600) for c in conns))
        if not all(changed):
            raise BenchError("put skipped the transfer: remote file was not removed")

    async def theirs_put() -> None:
        await asyncio.gather(*(c.copy(blob, REMOTE_FILE) for c in clients))

    async def remove() -> None:
        await asyncio.gather(*(c.run(f"rm -f {REMOTE_FILE}") for c in conns))

    for client in clients:  # one at a time: not part of any figure
        await client.open_master()
    ours_noop_s, theirs_noop_s = await paired_medians(rounds, ours_noop, theirs_noop)
    ours_put_s, theirs_put_s = await paired_medians(put_rounds, ours_put, theirs_put, remove)
    await remove()
    return Figures(ours_noop_s, theirs_noop_s, ours_put_s, theirs_put_s)


def report(
    targets: Sequence[Target], figures: Figures, size_mb: float, rounds: int, put_rounds: int
) -> None:
    count = len(targets)
    shown = ", ".join(t.label for t in targets[:3]) + (", ..." if count > 3 else "")
    every = " on every host at once," if count > 1 else ","
    total = size_mb * count
    print(f"{count} host{'s' if count > 1 else ''} ({shown})")
    print(
        f"  no-op command{every} median of {rounds}: "
        f"kubexm {figures.ours_noop * 1000:.1f} ms, openssh {figures.theirs_noop * 1000:.1f} ms, "
        f"speed ratio {figures.theirs_noop / figures.ours_noop:.2f}"
    )
    print(
        f"  put {size_mb:.0f} MB{every.replace(' on ', ' to ')} median of {put_rounds}: "
        f"kubexm {total / figures.ours_put:.0f} MB/s, scp {total / figures.theirs_put:.0f} MB/s"
        f"{' (aggregate)' if count > 1 else ''}, "
        f"throughput ratio {figures.theirs_put / figures.ours_put:.2f}"
    )


async def bench_group(
    targets: Sequence[Target], key: Path, blob: Path, args: argparse.Namespace, work: Path
) -> None:
    """Connect to every target with both clients, measure, print, close everything."""
    settings = [
        SSHSettings(
            host_name=t.label,
            address=t.address,
            port=t.port,
            user=t.user,
            private_key_path=key,
            known_hosts_path=work / "kubexm_known_hosts",
        )
        for t in targets
    ]
    clients = [OpenSSH(t, key, work) for t in targets]
    conns = await asyncio.gather(*(connect_ssh(s) for s in settings))
    try:
        figures = await measure(conns, clients, blob, args.rounds, args.put_rounds)
    finally:
        await asyncio.gather(*(c.stop() for c in clients))
        await asyncio.gather(*(c.close() for c in conns))
    report(targets, figures, blob.stat().st_size / 1e6, args.rounds, args.put_rounds)


def group_sizes(available: int) -> list[int]:
    """1, 4, 8 hosts, capped by what is available (which is then measured too)."""
    return [n for n in LAB_GROUPS if n < available] + [available]


async def main_async(
    groups: Sequence[Sequence[Target]], key: Path, args: argparse.Namespace, work: Path
) -> None:
    blob = work / "blob"
    with blob.open("wb") as out:
        out.write(os.urandom(args.size_mb * 1_000_000))
    print("(ratios are kubexm relative to OpenSSH; above 1.0 means kubexm is faster)")
    for group in groups:
        try:
            await bench_group(group, key, blob, args, work)
        except BenchError as error:
            raise SystemExit(f"benchmark stopped: {error}") from None


def _bring_up(wanted: int, paths: Paths) -> tuple[LabState, bool]:
    """The lab to measure and whether this call brought it up (so it must take it down).

    Another session may bring up its own lab between our look and our ``up``; then its lab is
    used as it is. Raises SystemExit when no lab can be had.
    """
    print(f"no lab is up: bringing up {wanted} hosts")
    try:
        return up(wanted, paths=paths).state, True
    except LabError as error:
        state = load_state(paths)
        if state is None:
            raise SystemExit(f"cannot bring up the lab: {error}") from error
        if len(state.hosts) == wanted:  # ours, half made: measure nothing, remove it
            down(paths)
            raise SystemExit(f"cannot bring up the lab: {error}") from error
        print(f"another session brought up its lab meanwhile ({error.message})")
        return state, False


@contextlib.contextmanager
def lab_targets(wanted: int) -> Iterator[tuple[list[Target], Path]]:
    """The first ``wanted`` lab hosts as root, bringing a lab up when none is (and taking it
    down again afterwards unless another process started using it meanwhile).

    A lease is held while measuring, so a test session ending meanwhile leaves the lab up.
    """
    paths = Paths()
    lease = take_lease(paths)
    started = False
    try:
        state = load_state(paths)
        if state is None:
            state, started = _bring_up(wanted, paths)
        if len(state.hosts) < wanted:
            print(f"a lab of {len(state.hosts)} hosts is up (not {wanted}): measuring with those")
        hosts = state.hosts[:wanted]
        yield [Target("root", h.address, h.port) for h in hosts], paths.private_key
    finally:
        lease.unlink(missing_ok=True)
        if started and not lease_holders(paths):
            print("taking the lab down again")
            down(paths)
        elif started:
            print("leaving the lab up: another process holds a lease on it")


def run_lab(args: argparse.Namespace, work: Path) -> None:
    with lab_targets(args.lab) as (targets, key):
        groups = [targets[:n] for n in group_sizes(len(targets))]
        asyncio.run(main_async(groups, key, args, work))


def run_loopback(args: argparse.Namespace, work: Path) -> None:
    harness = load_harness()
    reason = harness.available()
    if reason:
        raise SystemExit(f"cannot start the loopback sshd: {reason}")
    server = harness.LoopbackSSHD(work / "sshd").start()
    try:
        target = Target("root", "127.0.0.1", server.port)
        asyncio.run(main_async([[target]], Path(server.client_key), args, work))
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", help="user@addr:port,... (default: a loopback sshd)")
    parser.add_argument("--key", help="private key for every host")
    parser.add_argument("--lab", type=int, metavar="N", help="use N lab hosts (groups 1/4/8)")
    parser.add_argument("--rounds", type=int, default=30, help="no-op rounds per client")
    parser.add_argument("--put-rounds", type=int, default=PUT_ROUNDS, help="put rounds per client")
    parser.add_argument("--size-mb", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubexm-bench-") as tmp:
        work = Path(tmp)
        if args.lab:
            run_lab(args, work)
        elif args.hosts:
            if not args.key:
                parser.error("--key is required with --hosts")
            groups = [[t] for t in parse_hosts(args.hosts)]
            asyncio.run(main_async(groups, Path(args.key), args, work))
        else:
            run_loopback(args, work)


if __name__ == "__main__":
    main()
