"""The kubeadm config of each node, and the kubelet unit files kubeadm expects.

One multi-document YAML per node: the first master gets InitConfiguration +
ClusterConfiguration + KubeletConfiguration (+ KubeProxyConfiguration), every other node a
JoinConfiguration followed by the same KubeletConfiguration. The API version follows the
Kubernetes minor: ``kubeadm.k8s.io/v1beta4`` from 1.31 on, ``v1beta3`` before (v1beta4 wants
every ``extraArgs`` as a list of ``{name, value}``).

Rendering is pure (values in, text out) and every document is checked against the field table
of its API version (``schema``) before it is returned. Secrets never reach a golden file or a
step input: the join token and the certificate key are passed in at run time only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jinja2
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kubexm.errors import KubexmError
from kubexm.step.kubeadm.schema import V1BETA3, V1BETA4, schema_errors
from kubexm.util.version import parse_version
from kubexm.util.yamlio import dump_yaml_all

KUBELET_API = "kubelet.config.k8s.io/v1beta1"
KUBE_PROXY_API = "kubeproxy.config.k8s.io/v1alpha1"
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
#: Groups and usages kubeadm gives its default node-bootstrap token.
TOKEN_GROUPS = ("system:bootstrappers:kubeadm:default-node-token",)
TOKEN_USAGES = ("signing", "authentication")
#: The token ``kubeadm init`` must make (it always makes one): unused, and gone soon.
INIT_TOKEN_TTL = "15m0s"


def kubeadm_api(kubernetes_version: str) -> str:
    """``kubeadm.k8s.io/v1beta4`` for Kubernetes 1.31 and newer, else ``v1beta3``."""
    version = parse_version(kubernetes_version)
    return V1BETA4 if (version.major, version.minor) >= (1, 31) else V1BETA3


def ca_cert_hash(ca_pem: bytes) -> str:
    """kubeadm's pin of a CA: ``sha256:`` + hex sha256 of its DER SubjectPublicKeyInfo.

    Raises ``KubexmError`` when ``ca_pem`` is no PEM certificate.
    """
    try:
        cert = x509.load_pem_x509_certificate(ca_pem)
    except ValueError as exc:
        raise KubexmError(
            f"the cluster CA is not a PEM certificate: {exc}",
            hint="remove the broken pki/ca.crt from the work dir only if no cluster uses it",
        ) from exc
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


@dataclass(frozen=True)
class EtcdSettings:
    """``external`` endpoints with client cert files (kubexm or external etcd), or kubeadm's
    stacked ``local`` etcd with its data dir."""

    external: bool
    endpoints: tuple[str, ...] = ()
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    data_dir: str = "/var/lib/etcd"
    image: tuple[str, str] | None = None


@dataclass(frozen=True)
class ClusterSettings:
    """Everything the cluster-wide documents say (the same on every node)."""

    kubernetes_version: str
    cluster_name: str
    endpoint: str
    pod_subnet: str
    service_subnet: str
    dns_domain: str
    cert_sans: tuple[str, ...]
    image_repository: str
    etcd: EtcdSettings
    extra_args: Mapping[str, Mapping[str, str]]
    kubelet: Mapping[str, Any]
    kube_proxy: Mapping[str, Any] | None
    cri_socket: str
    dns_image: tuple[str, str] | None = None
    extra_volumes: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return kubeadm_api(self.kubernetes_version)


@dataclass(frozen=True)
class NodeSettings:
    """One node's registration: name, address, port, role, taints, extra kubelet args.

    ``taints`` None leaves kubeadm's default (control-plane taint on masters, none on
    workers); an empty tuple means no taint at all.
    """

    name: str
    address: str
    control_plane: bool
    bind_port: int = 6443
    taints: tuple[Mapping[str, str], ...] | None = None
    kubelet_args: Mapping[str, str] = field(default_factory=dict)
    ignore_preflight: tuple[str, ...] = ()


def extra_args(api: str, args: Mapping[str, str]) -> object:
    """``args`` in the form ``api`` wants: a map (v1beta3) or a sorted name/value list."""
    if api == V1BETA3:
        return dict(sorted(args.items()))
    return [{"name": k, "value": v} for k, v in sorted(args.items())]


def _etcd(etcd: EtcdSettings) -> dict[str, Any]:
    if not etcd.external:
        local: dict[str, Any] = {"dataDir": etcd.data_dir}
        if etcd.image:
            local.update(imageRepository=etcd.image[0], imageTag=etcd.image[1])
        return {"local": local}
    ext: dict[str, Any] = {"endpoints": list(etcd.endpoints)}
    for key, value in (("caFile", etcd.ca_file), ("certFile", etcd.cert_file)):
        if value:
            ext[key] = value
    if etcd.key_file:
        ext["keyFile"] = etcd.key_file
    return {"external": ext}


def cluster_configuration(cs: ClusterSettings) -> dict[str, Any]:
    """The ClusterConfiguration document."""
    api = cs.api

    def component(name: str) -> dict[str, Any]:
        args, volumes = cs.extra_args.get(name, {}), cs.extra_volumes.get(name, ())
        out: dict[str, Any] = {"extraArgs": extra_args(api, args)} if args else {}
        if volumes:
            out["extraVolumes"] = [dict(v) for v in volumes]
        return out

    doc: dict[str, Any] = {
        "apiVersion": api,
        "kind": "ClusterConfiguration",
        "clusterName": cs.cluster_name,
        "kubernetesVersion": f"v{cs.kubernetes_version.removeprefix('v')}",
        "controlPlaneEndpoint": cs.endpoint,
        "imageRepository": cs.image_repository,
        "certificatesDir": "/etc/kubernetes/pki",
        "networking": {
            "podSubnet": cs.pod_subnet,
            "serviceSubnet": cs.service_subnet,
            "dnsDomain": cs.dns_domain,
        },
        "etcd": _etcd(cs.etcd),
        "apiServer": {**component("kube-apiserver"), "certSANs": list(cs.cert_sans)},
        "controllerManager": component("kube-controller-manager"),
        "scheduler": component("kube-scheduler"),
    }
    if cs.dns_image:
        doc["dns"] = {"imageRepository": cs.dns_image[0], "imageTag": cs.dns_image[1]}
    if cs.kube_proxy is None and api == V1BETA4:
        doc["proxy"] = {"disabled": True}
    return doc


def _registration(cs: ClusterSettings, node: NodeSettings) -> dict[str, Any]:
    reg: dict[str, Any] = {"name": node.name, "criSocket": cs.cri_socket}
    if node.taints is not None:
        reg["taints"] = [dict(t) for t in node.taints]
    if node.kubelet_args:
        reg["kubeletExtraArgs"] = extra_args(cs.api, node.kubelet_args)
    if node.ignore_preflight:
        reg["ignorePreflightErrors"] = list(node.ignore_preflight)
    return reg


def _endpoint(node: NodeSettings) -> dict[str, Any]:
    return {"advertiseAddress": node.address, "bindPort": node.bind_port}


def init_configuration(
    cs: ClusterSettings, node: NodeSettings, *, certificate_key: str | None = None
) -> dict[str, Any]:
    """The InitConfiguration of the first master.

    Its bootstrap token has no value (kubeadm makes one) and a short TTL: joins use a token
    made per run. ``certificate_key`` only goes into the short-lived upload-certs config.
    """
    token = {
        "description": "made by kubeadm init; kubexm joins with a per-run token",
        "ttl": INIT_TOKEN_TTL,
        "usages": list(TOKEN_USAGES),
        "groups": list(TOKEN_GROUPS),
    }
    doc: dict[str, Any] = {
        "apiVersion": cs.api,
        "kind": "InitConfiguration",
        "bootstrapTokens": [token],
        "localAPIEndpoint": _endpoint(node),
        "nodeRegistration": _registration(cs, node),
    }
    if cs.kube_proxy is None and cs.api == V1BETA3:
        doc["skipPhases"] = ["addon/kube-proxy"]
    if certificate_key:
        doc["certificateKey"] = certificate_key
    return doc


@dataclass(frozen=True)
class JoinSecrets:
    """What a join needs that must never be logged or kept: the token and, for a master,
    the key of the uploaded control-plane certificates."""

    token: str = field(repr=False)
    certificate_key: str = field(default="", repr=False)


def join_configuration(
    cs: ClusterSettings,
    node: NodeSettings,
    api_server: str,
    ca_hashes: Sequence[str],
    secrets: JoinSecrets,
) -> dict[str, Any]:
    """The JoinConfiguration of ``node``: discovery through ``api_server`` (host:port) with
    the CA pinned by ``ca_hashes``; a control-plane section for masters."""
    discovery = {
        "bootstrapToken": {
            "apiServerEndpoint": api_server,
            "token": secrets.token,
            "caCertHashes": list(ca_hashes),
        }
    }
    doc: dict[str, Any] = {
        "apiVersion": cs.api,
        "kind": "JoinConfiguration",
        "discovery": discovery,
        "nodeRegistration": _registration(cs, node),
    }
    if node.control_plane:
        doc["controlPlane"] = {
            "localAPIEndpoint": _endpoint(node),
            "certificateKey": secrets.certificate_key,
        }
    return doc


def component_documents(cs: ClusterSettings) -> list[dict[str, Any]]:
    """KubeletConfiguration, then KubeProxyConfiguration unless kube-proxy is off."""
    docs = [{"apiVersion": KUBELET_API, "kind": "KubeletConfiguration", **cs.kubelet}]
    if cs.kube_proxy is not None:
        docs.append(
            {"apiVersion": KUBE_PROXY_API, "kind": "KubeProxyConfiguration", **cs.kube_proxy}
        )
    return docs


def dump_documents(docs: list[dict[str, Any]]) -> str:
    """The documents as one YAML stream, after checking each against its field table.

    Raises ``KubexmError`` (a kubexm bug) when a document has a field its version lacks.
    """
    errors = [e for doc in docs for e in schema_errors(doc)]
    if errors:
        raise KubexmError(
            "kubexm rendered a kubeadm config its API version rejects: " + "; ".join(errors),
            hint="a kubexm bug: report it with the Kubernetes version of the config",
        )
    return dump_yaml_all(docs)


def render_init(
    cs: ClusterSettings, node: NodeSettings, *, certificate_key: str | None = None
) -> str:
    """The first master's config file (``kubeadm init --config``)."""
    first = init_configuration(cs, node, certificate_key=certificate_key)
    return dump_documents([first, cluster_configuration(cs), *component_documents(cs)])


def render_join(
    cs: ClusterSettings,
    node: NodeSettings,
    api_server: str,
    ca_hashes: Sequence[str],
    secrets: JoinSecrets,
) -> str:
    """A joining node's config file (``kubeadm join --config``), kubelet settings appended."""
    doc = join_configuration(cs, node, api_server, ca_hashes, secrets)
    return dump_documents([doc, component_documents(cs)[0]])


def _template(name: str) -> jinja2.Template:
    source = resources.files("kubexm").joinpath(f"templates/kubeadm/{name}").read_text("utf-8")
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    return env.from_string(source)


def render_file(template: str, **values: object) -> str:
    """Render ``templates/kubeadm/<template>`` (StrictUndefined).

    Raises ``KubexmError`` when a value is missing (a kubexm bug).
    """
    try:
        return _template(template).render(**values)
    except jinja2.TemplateError as exc:
        raise KubexmError(
            f"cannot render kubeadm template {template}: {exc}",
            hint="a kubexm bug: report it with the config that triggered it",
        ) from exc
