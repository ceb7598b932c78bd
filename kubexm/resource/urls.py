"""Download URLs per component and zone, and the image rewrite of a mirror zone.

Upstream templates come from the BOM (``download_url_templates``); mirror templates and the
mirror image registry from ``data/mirrors.yaml``. A mirror serves the upstream file under the
same name, so the pinned digest applies whichever zone a file came from.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any

from kubexm.apis.v1alpha1.registry import Mirroring
from kubexm.common import types as t
from kubexm.errors import ArtifactError

from .bom import load_data, strip_v, url_templates

ZONE_ENV = "KXZONE"
ZONE_DEFAULT = ""
ZONE_CN = "cn"
# Only docker names its directories after the kernel's machine name.
_ARCH_ALT: Mapping[str, str] = {"amd64": "x86_64", "arm64": "aarch64"}


@functools.cache
def load_mirrors() -> Mapping[str, Any]:
    """``data/mirrors.yaml`` (mirror templates and image registry per zone); cached."""
    data: Mapping[str, Any] = load_data("mirrors.yaml")
    return data


def zones() -> tuple[str, ...]:
    """Zones kubexm knows: ``""`` (upstream) and every mirror zone of the data file."""
    return (ZONE_DEFAULT, *sorted(load_mirrors()["zones"]))


def effective_zone(config_zone: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The zone in force: ``KXZONE`` (case-insensitive) when set, else ``config_zone``.

    The environment wins so one run can switch to mirrors without editing the file. Raises
    ArtifactError for a zone kubexm has no mirrors for.
    """
    environ = os.environ if env is None else env
    zone = (environ.get(ZONE_ENV) or config_zone or ZONE_DEFAULT).strip().lower()
    if zone not in zones():
        known = ", ".join(z for z in zones() if z)
        raise ArtifactError(f"unknown zone {zone!r}", f"use {ZONE_ENV}={known} or leave it unset")
    return zone


def normalise_arch(arch: str) -> str:
    """``amd64``/``arm64`` for any accepted spelling (``x86_64``, ``aarch64``)."""
    canonical = t.canonical(arch.strip().lower(), t.ARCH_ALIASES)
    if canonical not in t.ARCHITECTURES:
        raise ArtifactError(
            f"unsupported architecture {arch!r}", f"use one of {', '.join(t.ARCHITECTURES)}"
        )
    return canonical


def url_template(component: str, zone: str = ZONE_DEFAULT) -> str:
    """The URL template of ``component`` in ``zone`` (upstream when the zone has none).

    Raises ArtifactError with a hint when kubexm knows no URL for the component at all.
    """
    upstream = url_templates().get(component)
    if upstream is None:
        raise ArtifactError(
            f"kubexm knows no download URL for {component!r}",
            "choose a supported component, or install it yourself and leave it out of the config",
        )
    if not zone:
        return upstream
    zone_templates: Mapping[str, str] = load_mirrors()["zones"][zone]["download_url_templates"]
    return zone_templates.get(component, upstream)


def download_url(component: str, version: str, arch: str, zone: str = ZONE_DEFAULT) -> str:
    """The URL of one release file; ``version`` with or without ``v``, any arch spelling."""
    canonical = normalise_arch(arch)
    return url_template(component, zone).format(
        version=strip_v(version), arch=canonical, arch_alt=_ARCH_ALT[canonical]
    )


def file_name(url: str) -> str:
    """The file name a URL saves as: its last path element."""
    return url.rstrip("/").rsplit("/", 1)[-1]


def mirror_image(ref: str, zone: str = ZONE_DEFAULT) -> str:
    """The reference to pull ``ref`` by in ``zone`` (``ref`` itself upstream).

    A mirror zone keeps the tag and the last path element and replaces registry and
    namespace: ``quay.io/calico/node:v3.31.7`` becomes
    ``registry.cn-beijing.aliyuncs.com/kubexmio/node:v3.31.7``.
    """
    if not zone:
        return ref
    images: Mapping[str, str] = load_mirrors()["zones"][zone]["images"]
    return f"{images['registry']}/{images['namespace']}/{ref.rsplit('/', 1)[-1]}"


def rewrite_image(ref: str, registry: str, namespace: str | None = None) -> str:
    """``ref`` moved to ``registry``: its path kept, or ``namespace/<last element>``.

    ``docker.io/library/nginx:1.30.1-alpine`` to ``reg:5000`` gives
    ``reg:5000/library/nginx:1.30.1-alpine``; with namespace ``kx``, ``reg:5000/kx/nginx:...``.
    """
    _, _, path = ref.partition("/")
    if namespace:
        path = f"{namespace.strip('/')}/{ref.rsplit('/', 1)[-1]}"
    return f"{registry.rstrip('/')}/{path}"


def private_image(ref: str, mirroring: Mirroring) -> str:
    """``ref`` as the nodes pull it from ``mirroring.private_registry`` (which must be set).

    With ``namespaceRewrite`` enabled, the first rule whose ``registry`` is the image's own
    registry (any registry when the rule names none) and whose ``oldNamespace`` leads the
    image's path replaces that namespace: rule ``quay.io`` ``calico`` -> ``mirror/calico``
    takes ``quay.io/calico/node:v3.31.7`` to ``<private>/mirror/calico/node:v3.31.7``. An
    image no rule matches gets ``namespaceOverride`` (``rewrite_image``).
    """
    private = str(mirroring.private_registry).rstrip("/")
    source, _, path = ref.partition("/")
    if mirroring.namespace_rewrite.enabled:
        for rule in mirroring.namespace_rewrite.rules:
            old = rule.old_namespace.strip("/") + "/"
            if rule.registry in (None, source) and path.startswith(old):
                return f"{private}/{rule.new_namespace.strip('/')}/{path[len(old) :]}"
    return rewrite_image(ref, private, mirroring.namespace_override)
