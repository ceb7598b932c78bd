"""``spec.system``: OS preparation, and ``spec.preflight``."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, AliasChoices, Field

from kubexm.common import types

from .base import KxModel

_SYSCTL_KEY = re.compile(r"^[a-z0-9._/-]+$")


def _preflight_check(name: str) -> str:
    if name not in types.PREFLIGHT_CHECKS:
        raise ValueError(
            f"unknown preflight check {name!r}; one of {', '.join(types.PREFLIGHT_CHECKS)}"
        )
    return name


def _sysctl(values: dict[str, str]) -> dict[str, str]:
    for key, value in values.items():
        if not _SYSCTL_KEY.match(key):
            raise ValueError(f"{key!r} is not a sysctl key (lowercase, digits, '.', '_', '-')")
        if not str(value).strip():
            raise ValueError(f"{key}: the value is empty")
    return values


SysctlValue = Annotated[str, Field(coerce_numbers_to_str=True)]


class SystemSpec(KxModel):
    """OS preparation on every host."""

    ntp_servers: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    rpms: list[str] = Field(default_factory=list)
    debs: list[str] = Field(default_factory=list)
    package_manager: Literal["yum", "dnf", "apt"] | None = None
    pre_install: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("preInstall", "preInstallScripts")
    )
    post_install: list[str] = Field(
        default_factory=list,
        validation_alias=AliasChoices("postInstall", "postInstallScripts"),
    )
    skip_configure_os: bool = Field(default=False, alias="skipConfigureOS")
    modules: list[str] = Field(default_factory=list)
    sysctl_params: Annotated[dict[str, SysctlValue], AfterValidator(_sysctl)] = Field(
        default_factory=dict
    )


class PreflightSpec(KxModel):
    """Preflight minima and the checks to skip."""

    min_cpu_cores: Annotated[int, Field(gt=0)] = Field(default=2, alias="minCPUCores")
    min_memory_mb: Annotated[int, Field(gt=0)] = Field(default=2048, alias="minMemoryMB")
    disable_swap: bool = True
    disable_firewalld: bool = True
    disable_selinux: bool = True
    skip_checks: list[Annotated[str, AfterValidator(_preflight_check)]] = Field(
        default_factory=list
    )
