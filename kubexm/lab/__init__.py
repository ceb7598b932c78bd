"""Local disposable hosts for trials and end-to-end tests: systemd-nspawn containers with real
systemd and sshd, each with its own address on the bridge kx0 (10.77.0.0/24).

See ``kubexm.lab.lab`` for the operations; all need root.
"""

from kubexm.lab.cluster_config import LabTopology, MachineLimits, bundle_versions, lab_cluster_yaml
from kubexm.lab.lab import (
    HostStatus,
    RunningLab,
    UpResult,
    down,
    lease_holders,
    leftovers,
    start_host,
    status,
    stop_host,
    take_lease,
    up,
)
from kubexm.lab.layout import LabHost, LabState, Paths, load_state

__all__ = [
    "HostStatus",
    "LabHost",
    "LabState",
    "LabTopology",
    "MachineLimits",
    "Paths",
    "RunningLab",
    "UpResult",
    "bundle_versions",
    "down",
    "lab_cluster_yaml",
    "lease_holders",
    "leftovers",
    "load_state",
    "start_host",
    "status",
    "stop_host",
    "take_lease",
    "up",
]
