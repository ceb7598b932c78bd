"""``spec.addons[]``, ``spec.helmRepo`` and ``spec.gateway``."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from .base import KxModel
from .sources import AddonSource

_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _dns1123(value: str) -> str:
    if not _DNS1123.match(value):
        raise ValueError(f"{value!r} is not a DNS-1123 name; use lowercase letters, digits and '-'")
    return value


class Addon(KxModel):
    """An add-on installed after the cluster is up."""

    name: Annotated[str, AfterValidator(_dns1123)]
    enabled: bool = False
    retries: Annotated[int, Field(ge=0)] = 0
    delay: Annotated[int, Field(ge=0)] = 5
    timeout_seconds: Annotated[int, Field(gt=0)] = 300
    pre_install: list[str] = Field(default_factory=list)
    post_install: list[str] = Field(default_factory=list)
    sources: list[AddonSource] = Field(default_factory=list)


class HelmRepo(KxModel):
    """A global Helm repository."""

    name: Annotated[str, Field(min_length=1)]
    repo: Annotated[str, Field(min_length=1)]


class IngressNginx(KxModel):
    """ingress-nginx, off unless enabled."""

    enabled: bool = False


class Gateway(KxModel):
    """Ingress controllers."""

    ingress_nginx: IngressNginx = Field(default_factory=IngressNginx)
