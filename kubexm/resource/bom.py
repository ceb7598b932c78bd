"""The packaged bill of materials and pinned digests, with typed accessors.

``data/bom.yaml`` and ``data/checksums.yaml`` are copies of ``shared/data``; their header
comments say where every number comes from. Both are parsed once per process and cached.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from typing import Any

from kubexm.errors import ArtifactError
from kubexm.util.version import parse_version
from kubexm.util.yamlio import load_yaml_plain

_DATA = "kubexm.resource.data"


def load_data(name: str) -> Any:
    """Parse one packaged YAML file of ``kubexm/resource/data``.

    Raises ArtifactError when the file is missing or does not parse, which means a broken
    installation rather than a user mistake.
    """
    try:
        text = resources.files(_DATA).joinpath(name).read_text(encoding="utf-8")
        return load_yaml_plain(text, source=name)
    except (OSError, ValueError) as exc:
        raise ArtifactError(
            f"packaged data file {name} is unreadable: {exc}", "reinstall kubexm"
        ) from exc


@functools.cache
def load_bom() -> Mapping[str, Any]:
    """The whole BOM (``data/bom.yaml``) as plain dicts; parsed once, then cached."""
    data: Mapping[str, Any] = load_data("bom.yaml")
    return data


@functools.cache
def load_checksums() -> Mapping[str, Any]:
    """``component -> arch -> version -> sha256`` (``data/checksums.yaml``); cached."""
    data: Mapping[str, Any] = load_data("checksums.yaml")
    return data


def supported_minors() -> tuple[str, ...]:
    """Kubernetes minors the BOM has defaults for, newest first (``("1.36", ...)``)."""
    return tuple(str(minor) for minor in load_bom()["supported_kubernetes_minors"])


def default_minor() -> str:
    """The minor a config without a Kubernetes version gets."""
    return str(load_bom()["default_kubernetes_minor"])


def minor_of(version: str) -> str:
    """``"1.36"`` for ``v1.36.4`` or ``1.36``; raises ArtifactError for a non-version."""
    try:
        return parse_version(version).minor_str
    except ValueError as exc:
        raise ArtifactError(str(exc), "write versions like v1.36.4") from exc


def default_versions(kubernetes_version: str) -> Mapping[str, str]:
    """Default component versions for the minor of ``kubernetes_version`` (no leading v).

    Keys are the BOM's field names (``kubernetes``, ``etcd``, ``containerd``, ``runc``...).
    Raises ArtifactError naming the supported minors when the minor has no BOM entry.
    """
    minor = minor_of(kubernetes_version)
    table: Mapping[str, Mapping[str, Any]] = load_bom()["kubernetes"]
    if minor not in table:
        supported = ", ".join(supported_minors())
        raise ArtifactError(
            f"Kubernetes {minor} has no default component versions in the BOM",
            f"use one of {supported}",
        )
    return {key: str(value) for key, value in table[minor].items()}


def strip_v(version: str) -> str:
    """``"1.36.4"`` for ``v1.36.4``: the form checksums and URL templates use."""
    text = version.strip()
    return text[1:] if text[:1] in ("v", "V") else text


def pinned_sha256(component: str, version: str, arch: str) -> str | None:
    """The pinned sha256 of one release file, or None when no digest is pinned.

    ``version`` may carry a leading ``v``. Component names are the URL template keys
    (``kubelet``, ``etcd``, ``cni-plugins``, ``containerd-static``...).
    """
    by_arch = load_checksums().get(component) or {}
    by_version = by_arch.get(arch) or {}
    digest = by_version.get(strip_v(version))
    return None if digest is None else str(digest)


def image_repository(key: str) -> str:
    """The upstream repository of one image (``image_repositories.<key>``).

    Raises ArtifactError for a key the BOM does not list.
    """
    repos: Mapping[str, str] = load_bom()["image_repositories"]
    if key not in repos:
        raise ArtifactError(f"the BOM lists no image repository {key!r}", "reinstall kubexm")
    return str(repos[key])


def image_tag(key: str) -> str:
    """A tag that does not depend on the Kubernetes minor (``image_tags.<key>``)."""
    tags: Mapping[str, str] = load_bom()["image_tags"]
    if key not in tags:
        raise ArtifactError(f"the BOM lists no image tag {key!r}", "reinstall kubexm")
    return str(tags[key])


@functools.cache
def url_templates() -> Mapping[str, str]:
    """Upstream download URL template per component (``download_url_templates`` of the BOM,
    plus the release manifests of ``data/manifests.yaml``)."""
    templates: Mapping[str, str] = load_bom()["download_url_templates"]
    manifests: Mapping[str, str] = load_data("manifests.yaml")["download_url_templates"]
    return {**templates, **manifests}


def chart_version(source: str, name: str) -> str | None:
    """A helm chart version from ``helm_charts.<source>.<name>``, None when not listed."""
    charts: Mapping[str, Mapping[str, str]] = load_bom()["helm_charts"]
    value = charts.get(source, {}).get(name)
    return None if value is None else str(value)
