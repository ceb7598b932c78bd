"""``spec.extra`` (name resolution on nodes) and ``spec.certs`` (certificate lifetimes)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, AliasChoices, Field, WithJsonSchema

from kubexm.util.duration import parse_duration

from .base import DURATION_TEXT_SCHEMA, KxModel, check_domain, check_ip

IP = Annotated[str, AfterValidator(check_ip)]
DEFAULT_CA_DURATION = "87600h"
DEFAULT_CERT_DURATION = "8760h"


def _duration(value: str) -> str:
    if parse_duration(value) <= 0:
        raise ValueError(f"{value!r} must be longer than zero")
    return value


Duration = Annotated[str, AfterValidator(_duration), WithJsonSchema(DURATION_TEXT_SCHEMA)]


class ExtraHost(KxModel):
    """An /etc/hosts entry added to the managed block on every node."""

    ip: IP
    hostnames: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class Resolves(KxModel):
    """resolv.conf settings."""

    nameservers: list[IP] = Field(default_factory=list)
    searches: list[Annotated[str, AfterValidator(check_domain)]] = Field(default_factory=list)
    options: list[str] = Field(default_factory=list)


class ExtraSpec(KxModel):
    """Extra name resolution."""

    hosts: list[ExtraHost] = Field(default_factory=list)
    resolves: Resolves | None = None


class CertsSpec(KxModel):
    """Certificate lifetimes as durations (``87600h``); CA 10 years, leaves 1 year."""

    ca_duration: Duration = Field(
        default=DEFAULT_CA_DURATION,
        validation_alias=AliasChoices("caDuration", "CADuration"),
    )
    cert_duration: Duration = Field(
        default=DEFAULT_CERT_DURATION,
        validation_alias=AliasChoices("certDuration", "CertDuration"),
    )
