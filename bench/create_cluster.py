"""Benchmark: wall time of ``kubexm create cluster`` on 3 and 6 lab hosts from the local test
bundle, per phase, and of the no-op second run.

    sudo .venv/bin/python bench/create_cluster.py              # 3 and 6 hosts
    sudo .venv/bin/python bench/create_cluster.py --hosts 3

Binary mode (kubeadm's static pods would need the stand-in control plane placed on the hosts
first, see tests/e2e/test_create_cluster_lab.py), one master with etcd, the rest workers,
flannel. Phase times are the wall span of each area's steps (areas overlap: runtime and etcd
run side by side), read from kubexm's own run record. Prints figures only; it is not a timed
test.
"""

from __future__ import annotations

import argparse

from lab_cluster import measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, action="append", help="lab size (repeatable)")
    args = parser.parse_args()
    for hosts in args.hosts or [3, 6]:
        lab_args = ["--masters", "1", "--type", "kubexm", "--cni", "flannel"]
        first, second = measure(hosts, lab_args)
        print(f"{hosts} hosts: create cluster {first.seconds:.1f}s ({first.changed} changed), "
              f"second run {second.seconds:.1f}s ({second.changed} changed)")  # fmt: skip
        for name, seconds in first.phases.items():
            print(f"    {name:<12} {seconds:7.1f}s")


if __name__ == "__main__":
    main()
