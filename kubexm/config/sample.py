"""Commented starting configs for ``kubexm config sample`` (each one validates)."""

from __future__ import annotations

from typing import Literal

SampleKind = Literal["minimal", "ha", "all"]

_MINIMAL = """\
# A single-node cluster: one host is master, etcd and worker.
# Every key left out takes its default; `kubexm config schema` lists them all.
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata:
  name: demo                      # names the work directory .kubexm/demo
spec:
  global:
    user: root
    privateKeyPath: ~/.ssh/id_ed25519
  hosts:
    - name: node1
      address: 192.168.10.11      # SSH address: an IP or a DNS name (not localhost)
  roleGroups:
    master: [node1]
    etcd: [node1]
    worker: [node1]
  kubernetes:
    version: v1.36.4              # supported minors: 1.34, 1.35, 1.36
"""

_HA = """\
# Three masters with stacked kubexm etcd, two workers, and a keepalived + haproxy
# load balancer on two dedicated hosts holding the VIP.
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata:
  name: prod
spec:
  global:
    user: ops
    privateKeyPath: ~/.ssh/id_ed25519
  hosts:
    - {name: master1, address: 10.0.0.11}
    - {name: master2, address: 10.0.0.12}
    - {name: master3, address: 10.0.0.13}
    - {name: worker1, address: 10.0.0.21}
    - {name: worker2, address: 10.0.0.22}
    - {name: lb1, address: 10.0.0.31}
    - {name: lb2, address: 10.0.0.32}
  roleGroups:
    master: ["master[1:3]"]         # ranges expand to master1..master3
    etcd: ["master[1:3]"]
    worker: ["worker[1:2]"]
    loadbalancer: [lb1, lb2]
  controlPlaneEndpoint:
    domain: lb.kubexm.local         # every node resolves it through /etc/hosts
    address: 10.0.0.100             # the VIP: a free address in the LB hosts' subnet
    port: 6443
    externalLoadBalancer: kubexm-kh # keepalived + haproxy on the loadbalancer hosts
    # keepalived:
    #   virtualRouterId: 73         # 1-255; default derived from the cluster name
    #   unicast: true               # VRRP to the other LB hosts, for networks without multicast
  kubernetes:
    type: kubeadm
    version: v1.36.4
  etcd:
    type: kubexm                    # binary etcd under systemd on the etcd hosts
  network:
    plugin: calico
    kubePodsCIDR: 10.244.0.0/16
    kubeServiceCIDR: 10.96.0.0/12
"""

_ALL = """\
# Most sections with their defaults spelled out. Delete what you do not change.
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata:
  name: full
spec:
  global:
    user: root
    port: 22
    privateKeyPath: ~/.ssh/id_ed25519
    # sudoPassword: "..."           # key login as a non-root user whose sudo asks a password
    connectionTimeout: 10s
    offlineMode: false              # true: install only from a bundle made by `kubexm download`
  hosts:
    - name: node1
      address: 10.0.0.11
      internalAddress: 10.0.0.11    # dual-stack: "10.0.0.11,fd00::11"
      arch: amd64
      labels: {disk: ssd}
    - {name: node2, address: 10.0.0.12}
    - {name: node3, address: 10.0.0.13}
    - name: node4
      address: 10.0.0.14
      taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
  roleGroups:
    master: ["node[1:3]"]
    etcd: ["node[1:3]"]
    worker: [node4]
  controlPlaneEndpoint:
    domain: lb.kubexm.local
    port: 6443
    internalLoadbalancer: haproxy   # haproxy | nginx on every worker, or kube-vip | none
    # With externalLoadBalancer kubexm-kh | kubexm-kn (only), the keepalived VRRP instance:
    # keepalived:
    #   virtualRouterId: 73         # 1-255; default derived from the cluster name; set it
    #                               # when two clusters share an L2 segment
    #   unicast: false              # true: adverts to the other LB hosts' internal addresses
    #                               # instead of multicast (most clouds drop multicast)
  system:
    timezone: UTC
    ntpServers: [pool.ntp.org]
    modules: [overlay, br_netfilter]
    sysctlParams: {net.ipv4.ip_forward: "1"}
  kubernetes:
    type: kubeadm                   # kubeadm (static pods) | kubexm (binaries under systemd)
    version: v1.36.4
    dnsDomain: cluster.local
    containerRuntime:
      type: containerd              # containerd | docker | cri-o | isula
      containerd:
        useSystemdCgroup: systemd
        registry:
          mirrors:
            docker.io: {endpoints: ["https://mirror.example.com"]}
    apiServer:
      certExtraSans: [api.example.com]
      autoRenewCerts: true
    kubelet:
      maxPods: 110
    kubeProxy:
      mode: ipvs
  etcd:
    type: kubexm                    # kubexm | kubeadm | external
    cluster: {clientPort: 2379, peerPort: 2380, dataDir: /var/lib/etcd}
    backup: {periodHours: 24, keepNumber: 7}
  network:
    plugin: calico                  # calico | flannel | cilium | kube-ovn | hybridnet
    kubePodsCIDR: 10.244.0.0/16
    kubeServiceCIDR: 10.96.0.0/12
    calico:
      networking: {ipipMode: Always, vxlanMode: Never}
  dns:
    coredns:
      upstream: {useNodeResolvConf: true}
    nodelocaldns:
      enabled: true
      ip: 169.254.25.10
  storage:
    openebs:
      enabled: true
  registry:
    local: {type: harbor, registryDataDir: /opt/harbor}
  preflight:
    minCPUCores: 2
    minMemoryMB: 2048
  certs:
    caDuration: 87600h
    certDuration: 8760h
"""

_SAMPLES: dict[str, str] = {"minimal": _MINIMAL, "ha": _HA, "all": _ALL}


def render_sample(kind: SampleKind) -> str:
    """The commented YAML of sample ``kind``; raises ValueError for an unknown kind."""
    try:
        return _SAMPLES[kind]
    except KeyError:
        raise ValueError(f"unknown sample {kind!r}; use one of {', '.join(_SAMPLES)}") from None
