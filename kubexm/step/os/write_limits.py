"""Process limits for container workloads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep

LIMITS_FILE = "/etc/security/limits.d/99-kubexm.conf"


def limits_content(limits: tuple[tuple[str, str], ...]) -> str:
    """limits.conf lines: every item gets the same soft and hard value for all users."""
    lines = ["# managed by kubexm"]
    for item, value in limits:
        lines += [f"* soft {item} {value}", f"* hard {item} {value}"]
        # "*" does not match root in pam_limits; root needs its own lines.
        lines += [f"root soft {item} {value}", f"root hard {item} {value}"]
    return "\n".join(lines) + "\n"


@register_step
@dataclass(frozen=True)
class WriteLimits(EnsureStep):
    """``/etc/security/limits.d/99-kubexm.conf`` holds ``limits`` (item, value) for every
    user; it applies to new login sessions.

    ``check`` finds it done when the file already has that content and mode 0644.
    """

    name: ClassVar[str] = "os/write-limits"
    title: ClassVar[str] = "Write process limits"
    limits: tuple[tuple[str, str], ...]

    async def ensure(self, host: Host) -> OpResult:
        return await ensure_file(host, LIMITS_FILE, limits_content(self.limits), mode=0o644)
