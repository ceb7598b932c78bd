"""Best-practice command-line flags of the control-plane components, per Kubernetes minor.

One routine, ``component_args``, serves both deployment types: in binary mode (``kubexm``)
the flags go into the systemd units, in kubeadm mode they are the ``extraArgs`` of the
ClusterConfiguration. Paths follow kubeadm's layout (``/etc/kubernetes/pki``,
``/etc/kubernetes/*.conf``), so both modes read the same files.

Version knowledge is data, not branches: ``FLAG_SPANS`` says which 1.x minors accept a flag
whose life is bounded, ``FEATURE_GATE_LAST`` which minor last knew a feature gate. A default
outside its span is left out; a flag or gate the user set that the target version no longer
accepts is a ``ConfigError`` (the binary would refuse to start with "unknown flag").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeAlias

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.etcd import ExternalEtcd, KubexmEtcd
from kubexm.apis.v1alpha1.hosts import Host
from kubexm.apis.v1alpha1.kubernetes import (
    ApiServer,
    ControllerManager,
    Kubelet,
    KubeProxy,
    Scheduler,
)
from kubexm.common import ports
from kubexm.common import types as t
from kubexm.common.paths import ETCD_PKI, KUBERNETES_ETC, KUBERNETES_PKI
from kubexm.errors import ConfigError, FieldProblem, PlanError
from kubexm.util.cidr import ip_family, split_csv
from kubexm.util.duration import parse_duration
from kubexm.util.version import parse_version

APISERVER = "kube-apiserver"
CONTROLLER_MANAGER = "kube-controller-manager"
SCHEDULER = "kube-scheduler"
KUBELET = "kubelet"
KUBE_PROXY = "kube-proxy"
COMPONENTS = (APISERVER, CONTROLLER_MANAGER, SCHEDULER)

ENCRYPTION_CONFIG = f"{KUBERNETES_ETC}/encryption-config.yaml"

#: (first, last) 1.x minor that accepts a flag; None is open-ended.
Span: TypeAlias = tuple[int | None, int | None]

#: Flags with a bounded life. Facts from the upstream CHANGELOGs: the insecure ports went in
#: 1.24, ``--pod-eviction-timeout`` in 1.27, ``--container-runtime`` in 1.27,
#: ``--keep-terminated-pod-volumes`` in 1.31, ``--cloud-config`` (kubelet) in 1.34 and
#: ``--pod-infra-container-image`` in 1.35.
FLAG_SPANS: Mapping[str, Mapping[str, Span]] = {
    APISERVER: {
        "insecure-port": (None, 23),
        "insecure-bind-address": (None, 23),
        "kubelet-https": (None, 21),
        "service-account-api-audiences": (None, 24),
    },
    CONTROLLER_MANAGER: {
        "port": (None, 23),
        "address": (None, 23),
        "pod-eviction-timeout": (None, 26),
        "experimental-cluster-signing-duration": (None, 24),
    },
    SCHEDULER: {"port": (None, 23), "address": (None, 23)},
    KUBELET: {
        "container-runtime": (None, 26),
        "network-plugin": (None, 23),
        "cni-bin-dir": (None, 23),
        "cni-conf-dir": (None, 23),
        "keep-terminated-pod-volumes": (None, 30),
        "cloud-config": (None, 33),
        "pod-infra-container-image": (None, 34),
    },
    KUBE_PROXY: {},
}

#: Feature gates that went away: gate -> the last 1.x minor that still accepts it.
FEATURE_GATE_LAST: Mapping[str, int] = {
    "TTLAfterFinished": 24,
    "ExpandCSIVolumes": 26,
    "ExpandInUsePersistentVolumes": 26,
    "ExpandPersistentVolumes": 26,
    "CSIStorageCapacity": 27,
    "CSIMigration": 26,
    "DynamicKubeletConfig": 25,
}

#: Versioned defaults: emitted only where ``FLAG_SPANS`` allows (the insecure port must be
#: closed explicitly before 1.24).
VERSIONED_DEFAULTS: Mapping[str, Mapping[str, str]] = {
    APISERVER: {"insecure-port": "0"},
    CONTROLLER_MANAGER: {},
    SCHEDULER: {},
}

#: TLS 1.2 suites without CBC or RSA key exchange (what the CIS benchmark accepts).
STRONG_CIPHERS = (
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
)


def pki(name: str) -> str:
    """``/etc/kubernetes/pki/<name>``."""
    return f"{KUBERNETES_PKI}/{name}"


def conf(name: str) -> str:
    """``/etc/kubernetes/<name>``."""
    return f"{KUBERNETES_ETC}/{name}"


def kube_minor(cluster: Cluster) -> int:
    """The 1.x minor of ``spec.kubernetes.version``."""
    return parse_version(cluster.spec.kubernetes.version).minor


def accepts(component: str, flag: str, minor: int) -> bool:
    """True unless ``FLAG_SPANS`` says ``component`` of 1.``minor`` has no such flag."""
    first, last = FLAG_SPANS.get(component, {}).get(flag, (None, None))
    return (first is None or minor >= first) and (last is None or minor <= last)


def feature_gates(gates: Mapping[str, bool]) -> str:
    """``A=true,B=false`` sorted by name ("" for no gate)."""
    return ",".join(f"{name}={str(on).lower()}" for name, on in sorted(gates.items()))


def binary_mode(cluster: Cluster) -> bool:
    """True when kubexm runs the components itself (``kubernetes.type: kubexm``)."""
    return cluster.spec.kubernetes.type == t.KUBERNETES_KUBEXM


def _etcd_args(cluster: Cluster) -> dict[str, str]:
    etcd = cluster.spec.etcd
    if isinstance(etcd, ExternalEtcd):
        ext = etcd.external
        files = {"etcd-cafile": ext.ca_file, "etcd-certfile": ext.cert_file}
        files["etcd-keyfile"] = ext.key_file
        args = {k: v for k, v in files.items() if v}
        return {"etcd-servers": ",".join(ext.endpoints), **args}
    if not isinstance(etcd, KubexmEtcd):
        return {}  # stacked etcd: kubeadm writes the etcd flags itself
    port = etcd.cluster.client_port
    urls = [_url(h.internal_ip, port) for h in cluster.etcd_members()]
    return {
        "etcd-servers": ",".join(urls),
        "etcd-cafile": f"{ETCD_PKI}/ca.crt",
        "etcd-certfile": pki("apiserver-etcd-client.crt"),
        "etcd-keyfile": pki("apiserver-etcd-client.key"),
    }


def _url(ip: str, port: int) -> str:
    host = f"[{ip}]" if ":" in ip else ip
    return f"https://{host}:{port}"


def _apiserver_security(cluster: Cluster) -> dict[str, str]:
    api = cluster.spec.kubernetes.api_server
    args = {
        "authorization-mode": ",".join(api.authorization_modes),
        "enable-admission-plugins": ",".join(api.admission_plugins),
        "enable-bootstrap-token-auth": "true",
        "profiling": "false",
        "service-account-lookup": "true",
        "tls-min-version": "VersionTLS12",
        "tls-cipher-suites": ",".join(api.tls_cipher_suites or STRONG_CIPHERS),
    }
    if binary_mode(cluster):
        # kubeadm's static-pod probes call /livez without credentials, so only binary mode
        # closes anonymous access; its kubelets serve certificates signed by the cluster CA.
        args["anonymous-auth"] = "false"
        args["kubelet-certificate-authority"] = pki("ca.crt")
    return args


def _apiserver_tls() -> dict[str, str]:
    return {
        "client-ca-file": pki("ca.crt"),
        "tls-cert-file": pki("apiserver.crt"),
        "tls-private-key-file": pki("apiserver.key"),
        "kubelet-client-certificate": pki("apiserver-kubelet-client.crt"),
        "kubelet-client-key": pki("apiserver-kubelet-client.key"),
        "kubelet-preferred-address-types": "InternalIP,ExternalIP,Hostname",
        "proxy-client-cert-file": pki("front-proxy-client.crt"),
        "proxy-client-key-file": pki("front-proxy-client.key"),
        "requestheader-client-ca-file": pki("front-proxy-ca.crt"),
        "requestheader-allowed-names": "front-proxy-client",
        "requestheader-extra-headers-prefix": "X-Remote-Extra-",
        "requestheader-group-headers": "X-Remote-Group",
        "requestheader-username-headers": "X-Remote-User",
        "service-account-key-file": pki("sa.pub"),
        "service-account-signing-key-file": pki("sa.key"),
    }


def _audit_args(cluster: Cluster) -> dict[str, str]:
    audit = cluster.spec.kubernetes.api_server.audit
    if not audit.enabled:
        return {}
    return {
        "audit-log-path": audit.log_path,
        "audit-policy-file": audit.policy_file,
        "audit-log-maxage": str(audit.max_age),
        "audit-log-maxbackup": str(audit.max_backups),
        "audit-log-maxsize": str(audit.max_size),
    }


def secrets_encryption(cluster: Cluster) -> bool:
    """True when Secrets are encrypted at rest (``apiServer.encryptSecrets``)."""
    return cluster.spec.kubernetes.api_server.encrypt_secrets


def _apiserver(cluster: Cluster, host: Host | None) -> dict[str, str]:
    k8s, net = cluster.spec.kubernetes, cluster.spec.network
    api = k8s.api_server
    args = {
        "bind-address": api.bind_address,
        "secure-port": str(ports.APISERVER),
        "allow-privileged": str(api.allow_privileged).lower(),
        "service-cluster-ip-range": net.kube_service_cidr,
        "service-node-port-range": api.service_node_port_range,
        "service-account-issuer": f"https://kubernetes.default.svc.{k8s.dns_domain}",
        "etcd-prefix": api.etcd_prefix,
        "event-ttl": "1h",
        **_etcd_args(cluster),
        **_apiserver_tls(),
        **_apiserver_security(cluster),
        **_audit_args(cluster),
    }
    if host is not None:
        args["advertise-address"] = host.internal_ip
    if secrets_encryption(cluster):
        args["encryption-provider-config"] = ENCRYPTION_CONFIG
    return args


def _node_cidr_masks(cluster: Cluster) -> dict[str, str]:
    cm = cluster.spec.kubernetes.controller_manager
    families = {ip_family(cidr) for cidr in split_csv(cluster.spec.network.kube_pods_cidr)}
    if len(families) == 1:
        size = cm.node_cidr_mask_size if 4 in families else cm.node_cidr_mask_size_ipv6
        return {"node-cidr-mask-size": str(size)}
    return {
        "node-cidr-mask-size-ipv4": str(cm.node_cidr_mask_size),
        "node-cidr-mask-size-ipv6": str(cm.node_cidr_mask_size_ipv6),
    }


def _controller_manager(cluster: Cluster, _host: Host | None) -> dict[str, str]:
    cm = cluster.spec.kubernetes.controller_manager
    kubeconfig = conf("controller-manager.conf")
    hours = int(parse_duration(cluster.spec.certs.cert_duration) // 3600)
    args = {
        "bind-address": "127.0.0.1",
        "kubeconfig": kubeconfig,
        "authentication-kubeconfig": kubeconfig,
        "authorization-kubeconfig": kubeconfig,
        "leader-elect": "true",
        "profiling": "false",
        "use-service-account-credentials": "true",
        "controllers": "*,bootstrapsigner,tokencleaner",
        "cluster-name": cluster.cluster_name,
        "allocate-node-cidrs": "true",
        "cluster-cidr": cluster.spec.network.kube_pods_cidr,
        "service-cluster-ip-range": cluster.spec.network.kube_service_cidr,
        **_node_cidr_masks(cluster),
        "client-ca-file": pki("ca.crt"),
        "requestheader-client-ca-file": pki("front-proxy-ca.crt"),
        "cluster-signing-cert-file": pki("ca.crt"),
        "cluster-signing-key-file": pki("ca.key"),
        "cluster-signing-duration": f"{hours}h",
        "root-ca-file": pki("ca.crt"),
        "service-account-private-key-file": pki("sa.key"),
        "terminated-pod-gc-threshold": "10",
    }
    if cm.node_monitor_grace_period:
        args["node-monitor-grace-period"] = cm.node_monitor_grace_period
    return args


def _scheduler(_cluster: Cluster, _host: Host | None) -> dict[str, str]:
    kubeconfig = conf("scheduler.conf")
    return {
        "bind-address": "127.0.0.1",
        "kubeconfig": kubeconfig,
        "authentication-kubeconfig": kubeconfig,
        "authorization-kubeconfig": kubeconfig,
        "leader-elect": "true",
        "profiling": "false",
    }


_DEFAULTS: Mapping[str, Callable[[Cluster, Host | None], dict[str, str]]] = {
    APISERVER: _apiserver,
    CONTROLLER_MANAGER: _controller_manager,
    SCHEDULER: _scheduler,
}

#: Where the user's settings of each component live in the config.
_CONFIG_PATH = {
    APISERVER: "spec.kubernetes.apiServer",
    CONTROLLER_MANAGER: "spec.kubernetes.controllerManager",
    SCHEDULER: "spec.kubernetes.scheduler",
    KUBELET: "spec.kubernetes.kubelet",
    KUBE_PROXY: "spec.kubernetes.kubeProxy",
}


#: Typed config fields that are a flag of their component: flag -> field name.
_TYPED_FLAGS = {"pod-eviction-timeout": "podEvictionTimeout"}


def user_settings(cluster: Cluster, component: str) -> tuple[dict[str, str], dict[str, bool]]:
    """The flags (``extraArgs``, without ``--``) and feature gates the config sets for
    ``component``; a typed field that maps onto a flag (``podEvictionTimeout``) counts."""
    k8s = cluster.spec.kubernetes
    sections: dict[str, ApiServer | ControllerManager | Scheduler | Kubelet | KubeProxy] = {
        APISERVER: k8s.api_server,
        CONTROLLER_MANAGER: k8s.controller_manager,
        SCHEDULER: k8s.scheduler,
        KUBELET: k8s.kubelet,
        KUBE_PROXY: k8s.kube_proxy,
    }
    section = sections[component]
    flags: dict[str, str] = {}
    if component == CONTROLLER_MANAGER and k8s.controller_manager.pod_eviction_timeout:
        flags["pod-eviction-timeout"] = k8s.controller_manager.pod_eviction_timeout
    flags.update({k.removeprefix("--"): v for k, v in section.extra_args.items()})
    return flags, dict(section.feature_gates)


def check_removed(
    cluster: Cluster, component: str, flags: Mapping[str, str], gates: Mapping[str, bool]
) -> None:
    """Raise ``ConfigError`` for each flag or feature gate ``component`` of the configured
    version no longer accepts (it would refuse to start)."""
    minor, path = kube_minor(cluster), _CONFIG_PATH[component]
    version = cluster.spec.kubernetes.version
    problems = [
        FieldProblem(
            f"{path}.{_TYPED_FLAGS.get(flag, f'extraArgs.{flag}')}",
            f"{component} {version} has no flag --{flag}",
            "remove it; it was dropped upstream",
        )
        for flag in flags
        if not accepts(component, flag.removeprefix("--"), minor)
    ]
    problems += [
        FieldProblem(
            f"{path}.featureGates.{gate}",
            f"feature gate {gate} no longer exists in {version}",
            "remove it; the feature is always on (or gone) since it graduated",
        )
        for gate in gates
        if FEATURE_GATE_LAST.get(gate, minor) < minor
    ]
    if problems:
        raise ConfigError(problems)


def component_args(cluster: Cluster, component: str, host: Host | None = None) -> dict[str, str]:
    """The flags (without ``--``) of ``component`` for ``cluster``'s Kubernetes version.

    Defaults first, then the config's typed settings, then ``extraArgs`` (which win) and the
    component's ``featureGates``. ``host`` adds per-host values (the apiserver's
    ``advertise-address``); kubeadm fills those itself, so pass None for ``extraArgs``.
    Sorted by flag name, so the output is stable. Raises ``ConfigError`` for a flag or gate
    the version removed, ``PlanError`` for an unknown component.
    """
    if component not in _DEFAULTS:
        raise PlanError(
            f"no flag table for component {component!r}", f"use one of {', '.join(COMPONENTS)}"
        )
    minor = kube_minor(cluster)
    extra, gates = user_settings(cluster, component)
    check_removed(cluster, component, extra, gates)
    args = {**VERSIONED_DEFAULTS[component], **_DEFAULTS[component](cluster, host)}
    args = {k: v for k, v in args.items() if accepts(component, k, minor)}
    args.update(extra)
    if gates:
        args["feature-gates"] = feature_gates(gates)
    return dict(sorted(args.items()))


def command_line(binary: str, args: Mapping[str, str]) -> list[str]:
    """``[binary, --flag=value, ...]`` in the order of ``args``."""
    return [binary, *(f"--{name}={value}" for name, value in args.items())]
