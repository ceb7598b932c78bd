"""KubeletConfiguration and KubeProxyConfiguration documents, and the kubelet's own flags.

Both deployment types use these: binary mode writes the documents to
``/var/lib/kubelet/config.yaml`` and ``/var/lib/kube-proxy/kube-proxy-config.yaml``, kubeadm
mode puts them into its config file. The values are best practices (flows-b §2.5–2.6) merged
with the typed config, then the config's raw ``configuration`` passthrough (deep merge, the
user wins). Pure: the same config gives the same dict.
"""

from __future__ import annotations

from typing import Any

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.apis.v1alpha1.hosts import Host
from kubexm.apis.v1alpha1.runtime import (
    ContainerdRuntime,
    CrioRuntime,
    DockerRuntime,
    IsulaRuntime,
)
from kubexm.common import paths, ports, roles
from kubexm.step.kubernetes.flags import (
    KUBE_PROXY,
    KUBELET,
    binary_mode,
    check_removed,
    conf,
    pki,
    user_settings,
)
from kubexm.util.cidr import nth_address, split_csv
from kubexm.util.merge import deep_merge

KUBELET_API = "kubelet.config.k8s.io/v1beta1"
KUBE_PROXY_API = "kubeproxy.config.k8s.io/v1alpha1"
KUBELET_PKI = f"{paths.KUBELET_DIR}/pki"
#: kubeadm's kube-proxy DaemonSet mounts its kubeconfig here.
KUBEADM_PROXY_KUBECONFIG = "/var/lib/kube-proxy/kubeconfig.conf"
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}

#: Label prefixes in the kubernetes.io/k8s.io namespaces a kubelet may set on its own Node
#: (the NodeRestriction admission plugin refuses the others, e.g. node-role.kubernetes.io).
_SELF_LABEL_PREFIXES = ("kubelet.kubernetes.io/", "node.kubernetes.io/")
_SELF_LABEL_KEYS = frozenset(
    {
        "kubernetes.io/hostname",
        "kubernetes.io/arch",
        "kubernetes.io/os",
        "beta.kubernetes.io/arch",
        "beta.kubernetes.io/os",
        "beta.kubernetes.io/instance-type",
        "failure-domain.beta.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "topology.kubernetes.io/zone",
    }
)


def cri_socket(cluster: Cluster) -> str:
    """The CRI endpoint of the configured runtime (docker: cri-dockerd's socket)."""
    runtime = cluster.spec.kubernetes.container_runtime
    if isinstance(runtime, ContainerdRuntime):
        return runtime.containerd.endpoint
    if isinstance(runtime, DockerRuntime):
        return paths.CRI_DOCKERD_SOCKET
    if isinstance(runtime, CrioRuntime):
        return runtime.crio.endpoint
    assert isinstance(runtime, IsulaRuntime)
    return runtime.isulad.endpoint


def cluster_dns(cluster: Cluster) -> str:
    """NodeLocal DNS's address when it is enabled, else the CoreDNS service IP (the tenth
    address of the first service CIDR)."""
    local = cluster.spec.dns.nodelocaldns
    if local.enabled:
        return str(local.ip)
    return str(nth_address(split_csv(cluster.spec.network.kube_service_cidr)[0], 10))


def is_master(cluster: Cluster, host: Host) -> bool:
    return roles.ROLE_MASTER in cluster.roles_of(host.name)


def node_taints(cluster: Cluster, host: Host) -> list[dict[str, str]]:
    """The host's taints from the config; a master that is not also a worker first gets the
    control-plane ``NoSchedule`` taint."""
    taints: list[dict[str, str]] = []
    names = cluster.roles_of(host.name)
    if roles.ROLE_MASTER in names and roles.ROLE_WORKER not in names:
        taints.append(dict(CONTROL_PLANE_TAINT))
    for taint in host.taints:
        item = {"key": taint.key, "effect": taint.effect}
        if taint.value:
            item["value"] = taint.value
        if item not in taints:
            taints.append(item)
    return taints


def role_labels(cluster: Cluster, host: Host) -> dict[str, str]:
    """``node-role.kubernetes.io/<role>`` for control-plane and worker hosts."""
    names = cluster.roles_of(host.name)
    labels = {}
    if roles.ROLE_MASTER in names:
        labels["node-role.kubernetes.io/control-plane"] = ""
    if roles.ROLE_WORKER in names:
        labels["node-role.kubernetes.io/worker"] = ""
    return labels


def kubelet_may_set(key: str) -> bool:
    """True when a kubelet may set label ``key`` on its own Node (``--node-labels``)."""
    prefix, _, _ = key.rpartition("/")
    domain = prefix.split(".")[-2:] if prefix else []
    if domain not in (["kubernetes", "io"], ["k8s", "io"]):
        return True
    return key in _SELF_LABEL_KEYS or key.startswith(_SELF_LABEL_PREFIXES)


def node_labels(cluster: Cluster, host: Host) -> dict[str, str]:
    """Every label the node should carry: the role labels, then the host's ``labels``."""
    return {**role_labels(cluster, host), **host.labels}


def kubelet_args(cluster: Cluster, host: Host) -> dict[str, str]:
    """The kubelet's command-line flags beside ``--config``/``--kubeconfig``: node IP, name,
    the labels it may set itself (the rest are applied through the API), ``extraArgs``.

    Raises ``ConfigError`` for a flag the configured version removed.
    """
    extra, _ = user_settings(cluster, KUBELET)
    check_removed(cluster, KUBELET, extra, {})
    args = {"hostname-override": host.name, "node-ip": ",".join(host.internal_addresses)}
    own = {k: v for k, v in host.labels.items() if kubelet_may_set(k)}
    if own:
        args["node-labels"] = ",".join(f"{k}={v}" for k, v in sorted(own.items()))
    args.update(extra)
    return dict(sorted(args.items()))


def _kubelet_auth() -> dict[str, Any]:
    return {
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True, "cacheTTL": "2m0s"},
            "x509": {"clientCAFile": pki("ca.crt")},
        },
        "authorization": {
            "mode": "Webhook",
            "webhook": {"cacheAuthorizedTTL": "5m0s", "cacheUnauthorizedTTL": "30s"},
        },
    }


def _kubelet_resources(cluster: Cluster) -> dict[str, Any]:
    kubelet = cluster.spec.kubernetes.kubelet
    doc: dict[str, Any] = {
        "maxPods": kubelet.max_pods,
        "podPidsLimit": kubelet.pod_pids_limit,
        "cpuManagerPolicy": kubelet.cpu_manager_policy,
        "kubeReserved": dict(kubelet.kube_reserved),
        "systemReserved": dict(kubelet.system_reserved),
        "evictionHard": dict(kubelet.eviction_hard),
        "evictionMaxPodGracePeriod": kubelet.eviction_max_pod_grace_period,
        "evictionPressureTransitionPeriod": kubelet.eviction_pressure_transition_period,
        "containerLogMaxSize": kubelet.container_log_max_size,
        "containerLogMaxFiles": kubelet.container_log_max_files,
    }
    if kubelet.eviction_soft:
        doc["evictionSoft"] = dict(kubelet.eviction_soft)
        doc["evictionSoftGracePeriod"] = dict(kubelet.eviction_soft_grace_period)
    return doc


def kubelet_configuration(cluster: Cluster, host: Host) -> dict[str, Any]:
    """The KubeletConfiguration of ``host``.

    clusterDNS is NodeLocal DNS when enabled, the cgroup driver and runtime endpoint follow
    the runtime config, the client certificate rotates, the serving certificate is the one
    kubexm issued (binary mode) unless ``configuration`` turns ``serverTLSBootstrap`` on.
    ``registerWithTaints`` holds the control-plane and configured taints. Raises
    ``ConfigError`` for a feature gate the configured version removed.
    """
    kubelet = cluster.spec.kubernetes.kubelet
    _, gates = user_settings(cluster, KUBELET)
    check_removed(cluster, KUBELET, {}, gates)
    doc: dict[str, Any] = {
        "apiVersion": KUBELET_API,
        "kind": "KubeletConfiguration",
        **_kubelet_auth(),
        "cgroupDriver": kubelet.cgroup_driver,
        "containerRuntimeEndpoint": cri_socket(cluster),
        "clusterDNS": [cluster_dns(cluster)],
        "clusterDomain": cluster.spec.kubernetes.dns_domain,
        "staticPodPath": paths.MANIFESTS_DIR,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "port": ports.KUBELET,
        "readOnlyPort": 0,
        "rotateCertificates": True,
        "serverTLSBootstrap": False,
        "streamingConnectionIdleTimeout": "5m0s",
        "hairpinMode": kubelet.hairpin_mode,
        "serializeImagePulls": False,
        **_kubelet_resources(cluster),
    }
    if binary_mode(cluster):
        doc["tlsCertFile"] = f"{KUBELET_PKI}/kubelet.crt"
        doc["tlsPrivateKeyFile"] = f"{KUBELET_PKI}/kubelet.key"
    if gates:
        doc["featureGates"] = dict(sorted(gates.items()))
    taints = node_taints(cluster, host)
    if taints:
        doc["registerWithTaints"] = taints
    merged: dict[str, Any] = deep_merge(doc, kubelet.configuration)
    return merged


def kube_proxy_configuration(cluster: Cluster, host: Host | None = None) -> dict[str, Any]:
    """The KubeProxyConfiguration (``mode`` ipvs or iptables from the config).

    With ``host`` (binary mode: one file per node) ``hostnameOverride`` is the host's name;
    kubeadm's DaemonSet shares one document, so pass None there. Raises ``ConfigError`` for
    a feature gate the configured version removed.
    """
    proxy = cluster.spec.kubernetes.kube_proxy
    _, gates = user_settings(cluster, KUBE_PROXY)
    check_removed(cluster, KUBE_PROXY, {}, gates)
    kubeconfig = conf("kube-proxy.conf") if binary_mode(cluster) else KUBEADM_PROXY_KUBECONFIG
    doc: dict[str, Any] = {
        "apiVersion": KUBE_PROXY_API,
        "kind": "KubeProxyConfiguration",
        "bindAddress": "0.0.0.0",
        "clientConnection": {"kubeconfig": kubeconfig},
        "clusterCIDR": cluster.spec.network.kube_pods_cidr,
        "healthzBindAddress": f"0.0.0.0:{ports.KUBE_PROXY_HEALTHZ}",
        "metricsBindAddress": f"127.0.0.1:{ports.KUBE_PROXY_METRICS}",
        "mode": proxy.mode or "ipvs",
        "iptables": {
            "masqueradeAll": proxy.masquerade_all,
            "masqueradeBit": 14,
            "minSyncPeriod": "0s",
            "syncPeriod": "30s",
        },
        "ipvs": {
            "scheduler": "rr",
            "minSyncPeriod": "0s",
            "syncPeriod": "30s",
            # kube-vip and MetalLB answer ARP for service IPs only with strict ARP.
            "strictARP": True,
            "excludeCIDRs": [],
        },
    }
    if host is not None:
        doc["hostnameOverride"] = host.name
    if gates:
        doc["featureGates"] = dict(sorted(gates.items()))
    merged: dict[str, Any] = deep_merge(doc, proxy.configuration)
    return merged
