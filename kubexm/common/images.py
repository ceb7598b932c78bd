"""Default image repositories (upstream registries; the zone and private registry rewrite them)."""

from __future__ import annotations

REGISTRY_K8S = "registry.k8s.io"
REGISTRY_DOCKER_HUB = "docker.io"
REGISTRY_QUAY = "quay.io"
REGISTRY_GHCR = "ghcr.io"
# Used when KXZONE=cn or spec.global.zone is cn.
REGISTRY_CN = "registry.cn-beijing.aliyuncs.com"
NAMESPACE_OVERRIDE_CN = "kubexmio"

KUBE_CONTROL_PLANE = REGISTRY_K8S
PAUSE = "registry.k8s.io/pause"
COREDNS = "registry.k8s.io/coredns/coredns"
NODELOCALDNS = "registry.k8s.io/dns/k8s-dns-node-cache"
ETCD = "quay.io/coreos/etcd"
KUBE_VIP = "ghcr.io/kube-vip/kube-vip"
HAPROXY = "docker.io/library/haproxy"
NGINX = "docker.io/library/nginx"
CALICO_NODE = "quay.io/calico/node"
CALICO_CNI = "quay.io/calico/cni"
CALICO_KUBE_CONTROLLERS = "quay.io/calico/kube-controllers"
CILIUM = "quay.io/cilium/cilium"
CILIUM_OPERATOR = "quay.io/cilium/operator-generic"
FLANNEL = "docker.io/flannel/flannel"
FLANNEL_CNI_PLUGIN = "docker.io/flannel/flannel-cni-plugin"
MULTUS = "ghcr.io/k8snetworkplumbingwg/multus-cni"
REGISTRY = "docker.io/library/registry"
METRICS_SERVER = "registry.k8s.io/metrics-server/metrics-server"
