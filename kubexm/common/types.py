"""Type names of the config model (the discriminators) and the old spellings they accept.

Each ``*_ALIASES`` table maps an old or alternative spelling to the canonical value; lookups go
through ``canonical()`` so every layer normalises the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

API_GROUP = "kubexm.io"
API_VERSION = "kubexm.io/v1alpha1"
# Older drafts used these groups; they load with a deprecation warning.
DEPRECATED_API_VERSIONS = ("kubexms.io/v1alpha1", "kubexm.mensylisir.io/v1alpha1")
KIND_CLUSTER = "Cluster"

# spec.kubernetes.type
KUBERNETES_KUBEADM = "kubeadm"
KUBERNETES_KUBEXM = "kubexm"
KUBERNETES_TYPES = (KUBERNETES_KUBEADM, KUBERNETES_KUBEXM)

# spec.etcd.type
ETCD_KUBEXM = "kubexm"
ETCD_KUBEADM = "kubeadm"
ETCD_EXTERNAL = "external"
ETCD_TYPES = (ETCD_KUBEXM, ETCD_KUBEADM, ETCD_EXTERNAL)
ETCD_ALIASES: Mapping[str, str] = {"exists": ETCD_EXTERNAL}

# spec.kubernetes.containerRuntime.type
RUNTIME_CONTAINERD = "containerd"
RUNTIME_DOCKER = "docker"
RUNTIME_CRIO = "cri-o"
RUNTIME_ISULA = "isula"
RUNTIME_TYPES = (RUNTIME_CONTAINERD, RUNTIME_DOCKER, RUNTIME_CRIO, RUNTIME_ISULA)
RUNTIME_ALIASES: Mapping[str, str] = {"crio": RUNTIME_CRIO, "isulad": RUNTIME_ISULA}
# The per-runtime block key under containerRuntime (crio and isulad are the historic keys).
RUNTIME_BLOCK_KEYS: Mapping[str, str] = {
    RUNTIME_CONTAINERD: "containerd",
    RUNTIME_DOCKER: "docker",
    RUNTIME_CRIO: "crio",
    RUNTIME_ISULA: "isulad",
}

# spec.network.plugin
CNI_CALICO = "calico"
CNI_FLANNEL = "flannel"
CNI_CILIUM = "cilium"
CNI_KUBE_OVN = "kube-ovn"
CNI_HYBRIDNET = "hybridnet"
CNI_PLUGINS = (CNI_CALICO, CNI_FLANNEL, CNI_CILIUM, CNI_KUBE_OVN, CNI_HYBRIDNET)
CNI_ALIASES: Mapping[str, str] = {"kubeovn": CNI_KUBE_OVN}
CNI_BLOCK_KEYS: Mapping[str, str] = {
    CNI_CALICO: "calico",
    CNI_FLANNEL: "flannel",
    CNI_CILIUM: "cilium",
    CNI_KUBE_OVN: "kubeovn",
    CNI_HYBRIDNET: "hybridnet",
}

# spec.controlPlaneEndpoint.externalLoadBalancer
LB_KUBEXM_KH = "kubexm-kh"
LB_KUBEXM_KN = "kubexm-kn"
LB_EXTERNAL = "external"
EXTERNAL_LB_TYPES = (LB_KUBEXM_KH, LB_KUBEXM_KN, LB_EXTERNAL)
EXTERNAL_LB_ALIASES: Mapping[str, str] = {
    "kubexm_kh": LB_KUBEXM_KH,
    "kubexm_kn": LB_KUBEXM_KN,
    "exists": LB_EXTERNAL,
}
# spec.controlPlaneEndpoint.internalLoadbalancer
LB_HAPROXY = "haproxy"
LB_NGINX = "nginx"
LB_KUBE_VIP = "kube-vip"
LB_NONE = "none"
INTERNAL_LB_TYPES = (LB_HAPROXY, LB_NGINX, LB_KUBE_VIP, LB_NONE)
INTERNAL_LB_ALIASES: Mapping[str, str] = {"kube_vip": LB_KUBE_VIP, "kubevip": LB_KUBE_VIP}
# The effective load balancer of a cluster, after defaulting: one of these.
LB_KINDS = (LB_NONE, LB_HAPROXY, LB_NGINX, LB_KUBE_VIP, LB_KUBEXM_KH, LB_KUBEXM_KN, LB_EXTERNAL)
# Kinds that need a VIP in controlPlaneEndpoint.address.
LB_KINDS_WITH_VIP = (LB_KUBE_VIP, LB_KUBEXM_KH, LB_KUBEXM_KN, LB_EXTERNAL)
# Kinds that run on the loadbalancer role hosts.
LB_KINDS_ON_LB_HOSTS = (LB_KUBEXM_KH, LB_KUBEXM_KN)
# Kinds that run a local proxy on every worker, listening on 127.0.0.1.
LB_KINDS_WORKER_LOCAL = (LB_HAPROXY, LB_NGINX)

KUBE_PROXY_MODES = ("ipvs", "iptables")
CGROUP_DRIVERS = ("systemd", "cgroupfs")
REGISTRY_LOCAL_TYPES = ("harbor", "registry", "docker-registry")
STORAGE_PROVIDERS = ("openebs", "nfs", "rook-ceph", "longhorn")
KUBE_VIP_MODES = ("ARP", "BGP")
HOST_CONNECTION_TYPES = ("ssh", "local")
PACKAGE_MANAGERS = ("yum", "dnf", "apt")
# Every preflight check by name: `spec.preflight.skipChecks` and `kubexm preflight --skip`.
PREFLIGHT_CHECKS = (
    "sudo", "os", "arch", "kernel", "cgroup", "cpu", "memory", "swap", "selinux", "firewalld",
    "modules", "hostname", "hostname-unique", "address-unique", "clock", "ports", "tmp-noexec",
    "disk", "leftovers", "runtime-version",
)  # fmt: skip
COREDNS_UPSTREAM_POLICIES = ("random", "round_robin", "sequential")
ARCHITECTURES = ("amd64", "arm64")
ARCH_ALIASES: Mapping[str, str] = {"x86_64": "amd64", "aarch64": "arm64"}
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def canonical(value: str, aliases: Mapping[str, str]) -> str:
    """Return the canonical spelling of ``value``: its alias target, or itself unchanged."""
    return aliases.get(value, value)
