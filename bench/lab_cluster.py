"""Shared by ``bench/node_layer.py`` and ``bench/create_cluster.py``: bring up N lab hosts,
build (or reuse) the test bundle, write the lab's cluster config, and time ``kubexm create
cluster --bundle`` through the real CLI — a first run and a no-op second run.

Needs root (lab hosts). Brings its own lab up and down for every size, so a lab that is already
up is refused rather than reused (its hosts may hold an earlier cluster).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
KUBEXM = [sys.executable, "-m", "kubexm"]
BUILDER = REPO / "tests" / "bundle" / "build_test_bundle.py"
BUNDLE = Path("/var/tmp/kubexm-testbundle/bench-bundle.tar.gz")
NODE_LAYER = ("preflight", "os", "runtime", "etcd", "lb")


@dataclass(frozen=True)
class Timing:
    """One ``create cluster`` run: total wall time, per-area spans and node counts."""

    seconds: float
    changed: int
    phases: dict[str, float]
    node_layer: float

    @classmethod
    def from_summary(cls, doc: dict[str, Any]) -> Timing:
        nodes = doc["run"]["nodes"]
        spans = [
            (n["started"], n["finished"])
            for n in nodes
            if n["step"].split("/", 1)[0] in NODE_LAYER and n["started"] is not None
        ]
        layer = max(f for _, f in spans) - min(s for s, _ in spans) if spans else 0.0
        return cls(
            seconds=doc["run"]["duration"],
            changed=doc["run"]["counts"].get("changed", 0),
            phases={p["name"]: p["seconds"] for p in doc["phases"]},
            node_layer=layer,
        )


def kubexm(*args: str, capture: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the kubexm CLI of this checkout; raise SystemExit with its output on failure."""
    done = subprocess.run(
        [*KUBEXM, *args], capture_output=capture, text=True, check=False, cwd=REPO
    )
    if done.returncode != 0:
        raise SystemExit(f"kubexm {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


def ensure_bundle() -> Path:
    """The test bundle (built once, then reused from /var/tmp)."""
    if not BUNDLE.is_file():
        BUNDLE.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(BUILDER), "-o", str(BUNDLE)], check=True)
    return BUNDLE


def create(config: Path, work: Path, bundle: Path) -> Timing:
    """One ``create cluster`` run, timed by kubexm's own summary."""
    done = kubexm(
        "-o", "json", "create", "cluster", "-f", str(config), "--work-dir", str(work),
        "--bundle", str(bundle), "--allow-standins", "--accept-new-host-keys",
    )  # fmt: skip
    return Timing.from_summary(json.loads(done.stdout))


def measure(hosts: int, lab_args: list[str]) -> tuple[Timing, Timing]:
    """Bring up ``hosts`` lab hosts, create the cluster twice, take the lab down."""
    if "no lab is up" not in kubexm("lab", "status").stdout:
        raise SystemExit("a lab is up already: take it down first (kubexm lab down)")
    bundle = ensure_bundle()
    kubexm("lab", "up", str(hosts))
    try:
        with tempfile.TemporaryDirectory(prefix="kx-bench-") as tmp:
            config = Path(tmp) / "cluster.yaml"
            text = kubexm("lab", "config", *lab_args, "--bundle", str(bundle)).stdout
            config.write_text(text, encoding="utf-8")
            first = create(config, Path(tmp), bundle)
            second = create(config, Path(tmp), bundle)
            return first, second
    finally:
        kubexm("lab", "down")
