"""Time loading and validating a 1,000-host config (target: under 1 s).

Run: .venv/bin/python bench/config_load.py [hosts] [repeats]
Prints the YAML size, then the best and median wall time of ``kubexm.config.load_text`` and,
separately, of its two halves: YAML parsing (``kubexm.util.yamlio``) and model validation with
every rule (``kubexm.config.validate_data``).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from kubexm.config import load_text, validate_data
from kubexm.util.yamlio import load_yaml_plain

HEADER = """\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata:
  name: bench
spec:
  global:
    user: root
    privateKeyPath: /root/.ssh/id_ed25519
  controlPlaneEndpoint:
    address: 10.255.0.100
    internalLoadbalancer: kube-vip
  hosts:
"""


def build_config(count: int) -> str:
    """A valid config with ``count`` hosts: 3 masters (also etcd), the rest workers."""
    lines = [HEADER]
    for index in range(1, count + 1):
        third, fourth = divmod(index, 250)
        lines.append(
            f"    - name: node{index:04d}\n"
            f"      address: 10.{third}.{fourth}.10\n"
            f"      labels: {{rack: r{index % 40}}}\n"
        )
    lines.append(
        "  roleGroups:\n"
        '    master: ["node[0001:0003]"]\n'
        '    etcd: ["node[0001:0003]"]\n'
        f'    worker: ["node[0004:{count:04d}]"]\n'
    )
    return "".join(lines)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    text = build_config(count)
    data = load_yaml_plain(text)
    if len(validate_data(data).cluster.spec.hosts) != count:
        raise SystemExit("the generated config lost hosts")
    print(f"config: {count} hosts, {len(text) / 1024:.0f} KiB of YAML")
    _report("load_text (parse + validate)", lambda: load_text(text), repeats)
    _report("  yaml parse only", lambda: load_yaml_plain(text), repeats)
    _report("  validate only", lambda: validate_data(data), repeats)


def _report(label: str, action: Callable[[], object], repeats: int) -> None:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    best, median = min(timings), statistics.median(timings)
    print(f"{label}: best {best:.3f} s, median {median:.3f} s")


if __name__ == "__main__":
    main()
