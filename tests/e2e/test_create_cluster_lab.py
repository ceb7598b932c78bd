"""``kubexm create cluster`` through the real CLI on 7 lab hosts, from the test bundle.

Binary mode (``kubernetes.type: kubexm``): 3 masters with etcd, kubexm-kh (keepalived +
haproxy) on 2 load-balancer hosts, 2 workers. The real kubectl reaches the API server through
the VIP with the admin kubeconfig; a second run changes nothing and restarts no service; ``plan``
then exits 0.

kubeadm mode, same topology: the first run is killed (SIGKILL) at a random point, the second
run converges, a third run (``--fresh``, every step checked again) changes nothing.

The Kubernetes binaries are the labelled stand-ins of the test bundle (tests/e2e/standins);
etcd, containerd, runc, haproxy, keepalived and kubectl are real. In kubeadm mode the control
plane runs as static pods whose images would carry the binaries; the stand-in kubelet runs each
static pod's command from /usr/local/bin instead, so the test puts the three stand-ins there.
With ``KUBEXM_E2E_BUNDLE`` set to a bundle made by ``kubexm download``, the same tests run the
real binaries from it (and place no stand-ins).
Each test brings up its own lab (no other lab may be up) and takes it down at the end.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubexm.lab import (
    LabState,
    LabTopology,
    MachineLimits,
    Paths,
    bundle_versions,
    down,
    lab_cluster_yaml,
    lease_holders,
    load_state,
    up,
)
from kubexm.lab.system import check_prerequisites

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[2]
VIP = "10.77.0.100"
HOSTS = 7
CONTROL_PLANE_STANDINS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")


@pytest.fixture
def cluster_lab() -> Iterator[LabState]:
    """Seven fresh lab hosts for one test, taken down afterwards (kept with
    ``KUBEXM_LAB_KEEP=1``, for a look at a failure)."""
    try:
        check_prerequisites()
    except Exception as error:
        pytest.skip(f"lab unavailable: {error}")
    paths = Paths()
    if load_state(paths) is not None or lease_holders(paths):
        pytest.skip("a lab is up or in use; this test needs its own 7 hosts")
    try:
        state = up(HOSTS, paths=paths).state
        yield state
    finally:
        if os.environ.get("KUBEXM_LAB_KEEP") != "1":
            down(paths)


def real_bundle() -> Path | None:
    """``KUBEXM_E2E_BUNDLE``: a bundle from ``kubexm download`` (real binaries), if set."""
    value = os.environ.get("KUBEXM_E2E_BUNDLE", "")
    return Path(value) if value else None


def standin_args() -> list[str]:
    """``--allow-standins`` for the test bundle, whose labelled stand-ins are refused
    without it (and, once staged, stay refused on later runs); none for a real bundle."""
    return [] if real_bundle() is not None else ["--allow-standins"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    real = real_bundle()
    if real is not None:
        assert real.is_file(), f"KUBEXM_E2E_BUNDLE={real}: no such file"
        return real
    sys.path.insert(0, str(REPO / "tests" / "bundle"))
    import build_test_bundle as tb

    out = tmp_path_factory.mktemp("bundle") / "bundle.tar.gz"
    try:
        tb.build_test_bundle(out, compresslevel=1)
    except tb.TestBundleUnavailable as exc:
        pytest.skip(f"no test bundle here: {exc}")
    return out


def kubexm(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kubexm", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def write_config(state: LabState, kind: str, bundle: Path, tmp_path: Path) -> Path:
    topo = LabTopology(3, 2, "kubexm-kh", kind, cni="flannel")
    limits = MachineLimits.detect(os.uname().release)
    text = lab_cluster_yaml(state, topo, versions=bundle_versions(bundle), limits=limits)
    config = tmp_path / "cluster.yaml"
    config.write_text(text, encoding="utf-8")
    return config


def create_args(config: Path, bundle: Path, work: Path, *extra: str) -> list[str]:
    return [
        "-o", "json", "create", "cluster", "-f", str(config), "--bundle", str(bundle),
        *standin_args(), "--work-dir", str(work), *extra,
    ]  # fmt: skip


def create(config: Path, bundle: Path, work: Path, *extra: str) -> dict[str, object]:
    done = kubexm(*create_args(config, bundle, work, *extra))
    assert done.returncode == 0, done.stderr[-4000:]
    summary: dict[str, object] = json.loads(done.stdout)
    return summary


def kubectl(work: Path, *args: str) -> str:
    """The bundle's real kubectl on this machine, through the VIP, with admin.conf."""
    root = work / "kubexm-lab"
    binary = next((root / "artifacts" / "kubectl").glob("*/amd64/kubectl"))
    conf = root / "kubeconfig" / "admin.conf"
    argv = [str(binary), "--kubeconfig", str(conf), "--server", f"https://{VIP}:6443", *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def ready_nodes(work: Path) -> dict[str, bool]:
    nodes = json.loads(kubectl(work, "get", "nodes", "-o", "json"))["items"]
    return {
        n["metadata"]["name"]: any(
            c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"]
        )
        for n in nodes
    }


def started_at(state: LabState, host: int, units: tuple[str, ...]) -> dict[str, str]:
    """systemd's start time of each unit on lab host ``host`` (1-based)."""
    target = state.hosts[host - 1]
    out = {}
    for unit in units:
        argv = [
            "ssh", "-q", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-i", target.root_key_path, f"root@{target.address}",
            f"systemctl show -p ActiveEnterTimestamp --value {unit}",
        ]  # fmt: skip
        out[unit] = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return out


def changed(summary: dict[str, object], status: str = "changed") -> int:
    """How many steps of the run ended with ``status``."""
    run = summary["run"]
    assert isinstance(run, dict)
    return int(run["counts"].get(status, 0))


def test_binary_mode_ha_cluster_with_kubexm_kh(
    cluster_lab: LabState, bundle: Path, tmp_path: Path
) -> None:
    config = write_config(cluster_lab, "kubexm", bundle, tmp_path)
    work = tmp_path / "work"
    plan_args = ["plan", "-f", str(config), "--work-dir", str(work), *standin_args()]
    fresh_plan = kubexm(*plan_args, "--bundle", str(bundle), "--accept-new-host-keys")
    # on fresh hosts every step is pending, none failed (checks reading tools not there yet)
    assert fresh_plan.returncode == 3, fresh_plan.stdout[-3000:] + fresh_plan.stderr[-2000:]

    first = create(config, bundle, work)

    assert ready_nodes(work) == dict.fromkeys(
        ["kxnode1", "kxnode2", "kxnode3", "kxnode6", "kxnode7"], True
    )
    assert kubectl(work, "get", "--raw", "/readyz") == "ok"
    master = ("etcd", "kube-apiserver", "kubelet", "containerd")
    before = started_at(cluster_lab, 1, master), started_at(cluster_lab, 4, ("haproxy",))
    second = create(config, bundle, work)
    after = started_at(cluster_lab, 1, master), started_at(cluster_lab, 4, ("haproxy",))
    plan = kubexm(*plan_args)

    assert changed(first) > 100
    assert changed(second) == 0
    assert changed(second, "resumed") == 0  # the first run succeeded: every step checked again
    assert before == after
    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr[-2000:]


def place_control_plane_standins(state: LabState, bundle: Path, tmp_path: Path) -> None:
    with tarfile.open(bundle, "r:gz") as archive:
        for name in CONTROL_PLANE_STANDINS:
            member = next(m for m in archive.getmembers() if m.name.endswith(f"/{name}"))
            stream = archive.extractfile(member)
            assert stream is not None, f"{member.name} is not a regular file"
            (tmp_path / name).write_bytes(stream.read())
            (tmp_path / name).chmod(0o755)  # scp keeps the mode; the kubelet execs the file
    for host in state.hosts[:3]:
        for name in CONTROL_PLANE_STANDINS:
            argv = [
                "scp", "-q", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-i", host.root_key_path, str(tmp_path / name),
                f"root@{host.address}:/usr/local/bin/{name}",
            ]  # fmt: skip
            subprocess.run(argv, check=True)


def test_kubeadm_mode_ha_cluster_converges_after_a_random_kill(
    cluster_lab: LabState, bundle: Path, tmp_path: Path
) -> None:
    config = write_config(cluster_lab, "kubeadm", bundle, tmp_path)
    work = tmp_path / "work"
    if real_bundle() is None:
        place_control_plane_standins(cluster_lab, bundle, tmp_path)
    seed = int(os.environ.get("KUBEXM_KILL_SEED", str(int(time.time()))))
    delay = random.Random(seed).uniform(5.0, 90.0)
    sys.stderr.write(f"\nkilling the first run after {delay:.1f} s (KUBEXM_KILL_SEED={seed})\n")

    argv = [sys.executable, "-m", "kubexm", *create_args(config, bundle, work)]
    killed = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        killed.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    resumed = create(config, bundle, work)
    again = create(config, bundle, work)

    assert resumed["run"]["status"] == "succeeded"  # type: ignore[index]  # JSON document
    assert changed(again) == 0 and changed(again, "resumed") == 0
    assert ready_nodes(work) == dict.fromkeys(
        ["kxnode1", "kxnode2", "kxnode3", "kxnode6", "kxnode7"], True
    )
