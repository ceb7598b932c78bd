"""Kubeconfig files with embedded credentials, and which consumer points where.

Following kubeadm, administrators reach the cluster through the control-plane endpoint, the
controller-manager and the scheduler through the apiserver on their own host, and each node's
kubelet and kube-proxy through the URL the caller chose for that node. Local file names:

=================================  ==========================================================
``kubeconfig/admin.conf``          ``kubernetes-admin``, control-plane endpoint
``kubeconfig/super-admin.conf``    ``kubernetes-super-admin`` (system:masters), same endpoint
``kubeconfig/controller-manager.conf``  local apiserver
``kubeconfig/scheduler.conf``      local apiserver
``kubeconfig/kubelet-<node>.conf``  that node's URL (``/etc/kubernetes/kubelet.conf``)
``kubeconfig/kube-proxy-<node>.conf``  that node's URL (``/etc/kubernetes/kube-proxy.conf``)
=================================  ==========================================================
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from kubexm.common.paths import KUBERNETES_ETC
from kubexm.errors import PKIError
from kubexm.pki.model import PKIPlan
from kubexm.util.yamlio import dump_yaml, load_yaml_plain

#: The kubeconfigs made once per node (kubelet's, kube-proxy's), ``{node}`` the host name.
PER_NODE_CONFS = ("kubelet-{node}.conf", "kube-proxy-{node}.conf")


@dataclass(frozen=True)
class KubeconfigSpec:
    """One kubeconfig: its file name, the leaf it embeds, its user name and server URL."""

    name: str
    leaf: str
    user: str
    server: str


def kubeconfig_specs(plan: PKIPlan) -> list[KubeconfigSpec]:
    """Every kubeconfig ``plan`` needs; leaves are names from ``table.LEAVES``."""
    cp = plan.control_plane_url
    specs = [
        KubeconfigSpec("admin.conf", "clients/admin", "kubernetes-admin", cp),
        KubeconfigSpec("super-admin.conf", "clients/super-admin", "kubernetes-super-admin", cp),
        KubeconfigSpec(
            "controller-manager.conf",
            "clients/controller-manager",
            "system:kube-controller-manager",
            plan.local_apiserver,
        ),
        KubeconfigSpec(
            "scheduler.conf", "clients/scheduler", "system:kube-scheduler", plan.local_apiserver
        ),
    ]
    kubelet, proxy = PER_NODE_CONFS
    for node in plan.nodes:
        url = plan.node_url(node)
        user = f"system:node:{node.name}"
        specs.append(
            KubeconfigSpec(kubelet.format(node=node.name), f"kubelet/{node.name}-client", user, url)
        )
        specs.append(
            KubeconfigSpec(
                proxy.format(node=node.name), "clients/kube-proxy", "system:kube-proxy", url
            )
        )
    return specs


def host_path(conf_name: str) -> str:
    """Where a local kubeconfig goes on its host: ``kubelet-w1.conf`` -> ``.../kubelet.conf``."""
    for prefix in ("kubelet-", "kube-proxy-"):
        if conf_name.startswith(prefix):
            return f"{KUBERNETES_ETC}/{prefix[:-1]}.conf"
    return f"{KUBERNETES_ETC}/{conf_name}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def render_kubeconfig(
    spec: KubeconfigSpec, cluster: str, ca_pem: bytes, cert_pem: bytes, key_pem: bytes
) -> bytes:
    """Serialise a kubeconfig with one cluster, one user and one context, all data embedded.

    The output depends only on the arguments, so an unchanged input gives the same bytes.
    """
    context = f"{spec.user}@{cluster}"
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster,
                "cluster": {"server": spec.server, "certificate-authority-data": _b64(ca_pem)},
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": cluster, "user": spec.user}}],
        "current-context": context,
        "preferences": {},
        "users": [
            {
                "name": spec.user,
                "user": {
                    "client-certificate-data": _b64(cert_pem),
                    "client-key-data": _b64(key_pem),
                },
            }
        ],
    }
    return dump_yaml(doc).encode("utf-8")


@dataclass(frozen=True)
class KubeconfigData:
    """What a kubeconfig file holds for its current context."""

    server: str
    ca_pem: bytes
    cert_pem: bytes | None
    key_pem: bytes | None


def parse_kubeconfig(data: bytes, what: str) -> KubeconfigData:
    """Read the server, CA and client credentials of the current context.

    Raises ``PKIError`` when the file is not a kubeconfig with embedded data; file-path
    references (``client-certificate:``) are reported as missing credentials (None).
    """
    try:
        doc = load_yaml_plain(data.decode("utf-8"), source=what)
        context = _named(doc["contexts"], doc["current-context"])["context"]
        cluster = _named(doc["clusters"], context["cluster"])["cluster"]
        user = _named(doc["users"], context["user"])["user"]
        return KubeconfigData(
            server=str(cluster["server"]),
            ca_pem=base64.b64decode(cluster["certificate-authority-data"]),
            cert_pem=_decoded(user.get("client-certificate-data")),
            key_pem=_decoded(user.get("client-key-data")),
        )
    # YAMLSyntaxError and UnicodeDecodeError are ValueErrors; shape errors are the others.
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PKIError(
            f"{what} is not a kubeconfig with embedded certificates",
            "remove it to have it written again",
        ) from exc


def _named(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for item in items:
        if item.get("name") == name:
            return item
    raise KeyError(name)


def _decoded(value: str | None) -> bytes | None:
    return base64.b64decode(value) if value else None
