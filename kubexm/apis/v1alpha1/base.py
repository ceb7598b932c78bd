"""The base of every config model: camelCase keys, unknown keys rejected, YAML null = not set."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from kubexm.util.cidr import is_ip, is_loopback, parse_cidrs, split_csv

_DOMAIN_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
# What ``kubexm.util.duration.parse_duration`` reads, as an ECMA-262 pattern for the JSON
# Schema (no flags there, so the units are spelled in both cases): seconds or unit parts.
DURATION_PATTERN = r"^\s*(?:\d+(?:\.\d+)?|(?:(?:\d+(?:\.\d+)?|\.\d+)(?:[Mm][Ss]|[SsMmHhDd]))+)\s*$"
DURATION_TEXT_SCHEMA: dict[str, Any] = {"type": "string", "pattern": DURATION_PATTERN}
_HOST_PORT = re.compile(r"^(?P<host>\[[0-9a-fA-F:.]+\]|[^:/\s]+)(:(?P<port>\d{1,5}))?$")


class KxModel(BaseModel):
    """Base of the config models.

    Keys are the camelCase names of the reference (python attributes are snake_case); an
    unknown key is an ``extra_forbidden`` error that ``kubexm.config`` turns into a "did you
    mean" message. A known key whose value is YAML ``null`` is dropped before validation, so
    it takes its default, or is reported missing when required; an unknown one is reported.
    """

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
        validate_default=False,
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        # Only a field's own key: an unknown key stays, so ``sudoPasword:`` with nothing after
        # it is still reported (with its "did you mean").
        if isinstance(data, Mapping):
            known = _known_keys(cls)
            return {k: v for k, v in data.items() if v is not None or k not in known}
        return data


def keys_of(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """Every key ``model`` accepts (canonical names and old spellings) -> its field."""
    keys: dict[str, FieldInfo] = {}
    for name, info in model.model_fields.items():
        choices = getattr(info.validation_alias, "choices", None)
        if choices:
            keys.update({str(choice): info for choice in choices})
        elif isinstance(info.validation_alias, str):
            keys[info.validation_alias] = info
        else:
            keys[info.alias or name] = info
    return keys


@functools.cache
def _known_keys(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(keys_of(model))


def normalise(value: Any, aliases: Mapping[str, str]) -> Any:
    """Map an old spelling to its canonical value; other values pass through unchanged."""
    if isinstance(value, str):
        return aliases.get(value, value)
    return value


def is_domain(text: str) -> bool:
    """True for a DNS name such as ``lb.kubexm.local`` (labels of letters, digits, hyphens)."""
    if not text or len(text) > 253 or is_ip(text):
        return False
    return all(_DOMAIN_LABEL.match(label) for label in text.rstrip(".").split("."))


def check_domain(text: str) -> str:
    """Return ``text`` when it is a domain; raise ValueError otherwise."""
    if not is_domain(text):
        raise ValueError(
            f"{text!r} is not a valid domain name; use labels of letters, digits and '-'"
        )
    return text


def check_ip(text: str) -> str:
    """Return ``text`` when it is an IP address; raise ValueError otherwise."""
    if not is_ip(text):
        raise ValueError(f"{text!r} is not an IP address; write one like 10.0.0.10")
    return text.strip()


def check_address(text: str) -> str:
    """A host address: an IP or a DNS name, never localhost or a loopback address."""
    value = text.strip()
    if is_loopback(value):
        raise ValueError(f"{value!r} is a loopback address; use an address other hosts can reach")
    if not (is_ip(value) or is_domain(value)):
        raise ValueError(
            f"{value!r} is neither an IP address nor a DNS name; write an IP or a host name"
        )
    return value


def check_ip_list(text: str) -> str:
    """A dual-stack address list ``"v4,v6"``: at most one address per family, none loopback."""
    items = split_csv(text)
    if not items:
        raise ValueError("expected an IP address or an IPv4,IPv6 pair")
    for item in items:
        if not is_ip(item):
            raise ValueError(f"{item!r} is not an IP address; write one IP or an IPv4,IPv6 pair")
        if is_loopback(item):
            raise ValueError(f"{item!r} is a loopback address; use the host's network address")
    families = [":" in item for item in items]
    if len(items) > 2 or len(set(families)) != len(families):
        raise ValueError(f"{text!r} is not a dual-stack pair; list at most one IPv4 and one IPv6")
    return ",".join(items)


def check_cidrs(text: str) -> str:
    """A dual-stack CIDR list ``"v4,v6"``; normalised to a comma list without spaces."""
    return ",".join(str(net) for net in parse_cidrs(text))


def check_host_port(text: str) -> str:
    """A registry key such as ``harbor.local:5000`` or ``10.0.0.5``."""
    match = _HOST_PORT.match(text.strip())
    if match is None or not 0 < int(match.group("port") or 1) <= 65535:
        raise ValueError(f"{text!r} is not host[:port]; write it like harbor.local:5000")
    return text.strip()


def check_url(text: str) -> str:
    """An http(s) URL."""
    if not re.match(r"^https?://[^\s/]+", text.strip()):
        raise ValueError(f"{text!r} is not an http(s) URL; write it like https://mirror.local")
    return text.strip()


def check_abs_path(text: str) -> str:
    """An absolute path."""
    if not text.startswith("/"):
        raise ValueError(f"{text!r} is not an absolute path; start it with /")
    return text
