"""Preflight steps: one generic per-host check step over the data in ``rules``."""

from kubexm.step.preflight.check_host import CheckHost
from kubexm.step.preflight.probe import HostProbe, load_probe, parse_probe, probe_script
from kubexm.step.preflight.rules import (
    CHECK_NAMES,
    WARNINGS_KEY,
    Finding,
    Requirements,
    evaluate,
)

__all__ = [
    "CHECK_NAMES",
    "WARNINGS_KEY",
    "CheckHost",
    "Finding",
    "HostProbe",
    "Requirements",
    "evaluate",
    "load_probe",
    "parse_probe",
    "probe_script",
]
