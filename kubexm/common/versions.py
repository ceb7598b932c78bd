"""Supported Kubernetes minors and the default patch of each.

Mirrors ``kubernetes.<minor>.kubernetes`` of the BOM (shared/data/bom.yaml); ``kubexm.resource``
owns the full BOM, and its tests check that this table agrees with it.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_KUBERNETES_MINOR = "1.36"
# Newest first, as the BOM lists them.
SUPPORTED_KUBERNETES_MINORS = ("1.36", "1.35", "1.34")
KUBERNETES_DEFAULT_PATCH: Mapping[str, str] = {
    "1.36": "1.36.4",
    "1.35": "1.35.8",
    "1.34": "1.34.11",
}
# kubeadm reads v1beta4 from 1.31 on; every supported minor is past that.
KUBEADM_API_V1BETA4_FROM = "1.31"


def default_kubernetes_version() -> str:
    """The version a config without ``kubernetes.version`` gets, with a leading ``v``."""
    return f"v{KUBERNETES_DEFAULT_PATCH[DEFAULT_KUBERNETES_MINOR]}"
