"""``spec.global``, ``spec.hosts[]`` and ``spec.roleGroups``: the inventory and SSH defaults."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    WithJsonSchema,
    field_validator,
)

from kubexm.common import ports
from kubexm.common import types as t
from kubexm.common.roles import ROLES
from kubexm.util.duration import parse_duration
from kubexm.util.hostrange import expand_host_range

from .base import (
    DURATION_TEXT_SCHEMA,
    KxModel,
    check_abs_path,
    check_address,
    check_ip_list,
    normalise,
)

Port = Annotated[int, Field(ge=ports.PORT_MIN, le=ports.PORT_MAX)]
Arch = Annotated[Literal["amd64", "arm64"], BeforeValidator(lambda v: normalise(v, t.ARCH_ALIASES))]
DEFAULT_CONNECTION_TIMEOUT = 10.0


def _seconds(value: Any) -> Any:
    """Accept ``15``, ``15.5`` or a duration text such as ``15s`` / ``1m30s``."""
    if isinstance(value, str):
        return parse_duration(value)
    return value


# The schema says what the loader takes: a positive number or a duration text like 10s.
SECONDS_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "number", "exclusiveMinimum": 0}, DURATION_TEXT_SCHEMA]
}
Seconds = Annotated[float, BeforeValidator(_seconds), Field(gt=0), WithJsonSchema(SECONDS_SCHEMA)]


class GlobalSpec(KxModel):
    """Connection defaults every host inherits, and tool behaviour."""

    user: Annotated[str, Field(min_length=1)] = "root"
    port: Port = ports.SSH
    password: SecretStr | None = None
    private_key: SecretStr | None = None
    private_key_path: str | None = None
    # The password sudo asks for (key login as a non-root user); not a login method.
    sudo_password: SecretStr | None = None
    connection_timeout: Seconds = DEFAULT_CONNECTION_TIMEOUT
    work_dir: Annotated[str, AfterValidator(check_abs_path)] | None = None
    host_work_dir: Annotated[str, AfterValidator(check_abs_path)] | None = None
    verbose: bool = False
    ignore_err: bool = False
    skip_preflight: bool = False
    offline_mode: bool = False
    zone: Literal["", "cn"] = ""


class Taint(KxModel):
    """A node taint applied after bootstrap."""

    key: Annotated[str, Field(min_length=1)]
    value: str = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class Host(KxModel):
    """One machine. Unset SSH settings are inherited from ``spec.global``."""

    name: Annotated[str, Field(min_length=1)]
    address: Annotated[str, AfterValidator(check_address)]
    internal_address: Annotated[str, AfterValidator(check_ip_list)] | None = None
    port: Port | None = None
    user: Annotated[str, Field(min_length=1)] | None = None
    password: SecretStr | None = None
    private_key: SecretStr | None = None
    private_key_path: str | None = None
    sudo_password: SecretStr | None = None
    arch: Arch = "amd64"
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)
    type: Literal["ssh", "local"] = "ssh"
    timeout: Seconds | None = None

    @property
    def internal_addresses(self) -> list[str]:
        """The cluster-internal addresses (one or a v4,v6 pair); ``address`` when unset."""
        text = self.internal_address or self.address
        return [item.strip() for item in text.split(",") if item.strip()]

    @property
    def internal_ip(self) -> str:
        """The first internal address: what etcd, the apiserver and /etc/hosts use."""
        return self.internal_addresses[0]


def _expand(names: list[str]) -> list[str]:
    """Expand ``node[1:3]`` entries; keep the first occurrence of a repeated name."""
    seen: dict[str, None] = {}
    for entry in names:
        for name in expand_host_range(entry):
            seen.setdefault(name, None)
    return list(seen)


class RoleGroups(KxModel):
    """Host names per role; entries may be ranges such as ``node[01:03]``."""

    master: list[str] = Field(default_factory=list)
    worker: list[str] = Field(default_factory=list)
    etcd: list[str] = Field(default_factory=list)
    loadbalancer: list[str] = Field(default_factory=list)
    storage: list[str] = Field(default_factory=list)
    registry: list[str] = Field(default_factory=list)

    @field_validator(*ROLES, mode="after")
    @classmethod
    def _expand_ranges(cls, value: list[str]) -> list[str]:
        return _expand(value)

    def members(self, role: str) -> list[str]:
        """Host names in ``role``; raises KeyError for a role that does not exist."""
        if role not in ROLES:
            raise KeyError(role)
        names: list[str] = getattr(self, role)
        return names
