"""Benchmark: wall time of the node layer of ``create cluster`` (preflight, OS, runtime, etcd,
load balancer) on 3 and 6 lab hosts, from the local test bundle, and of the no-op second run.

    sudo .venv/bin/python bench/node_layer.py            # 3 and 6 hosts
    sudo .venv/bin/python bench/node_layer.py --hosts 3

One master (with etcd), the rest workers, binary mode (the node layer is the same in both
modes; kubeadm's stand-in control plane would have to be placed on the hosts first). The
node-layer time is the span from the first node-layer step's start to the last one's end, read
from kubexm's own run record. Prints figures only; it is not a timed test.
"""

from __future__ import annotations

import argparse

from lab_cluster import measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, action="append", help="lab size (repeatable)")
    args = parser.parse_args()
    print(f"{'hosts':>5}  {'node layer':>10}  {'changed':>7}  {'second run':>10}  {'changed':>7}")
    for hosts in args.hosts or [3, 6]:
        first, second = measure(hosts, ["--masters", "1", "--type", "kubexm", "--cni", "flannel"])
        print(
            f"{hosts:>5}  {first.node_layer:>9.1f}s  {first.changed:>7}  "
            f"{second.seconds:>9.1f}s  {second.changed:>7}"
        )


if __name__ == "__main__":
    main()
