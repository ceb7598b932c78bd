"""Host roles, node labels and the special host names."""

from __future__ import annotations

ROLE_MASTER = "master"
ROLE_WORKER = "worker"
ROLE_ETCD = "etcd"
ROLE_LOADBALANCER = "loadbalancer"
ROLE_STORAGE = "storage"
ROLE_REGISTRY = "registry"
# The keys of spec.roleGroups, in the order they are listed in documentation and output.
ROLES = (ROLE_MASTER, ROLE_WORKER, ROLE_ETCD, ROLE_LOADBALANCER, ROLE_STORAGE, ROLE_REGISTRY)

# The machine that runs kubexm, for steps that run locally (PKI, downloads).
CONTROL_NODE_NAME = "kubexm-control-node"
CONTROL_NODE_ROLE = "controlNode"

LABEL_CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
LABEL_MASTER = "node-role.kubernetes.io/master"
LABEL_WORKER = "node-role.kubernetes.io/worker"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "kubexm"
LABEL_HA_APISERVER = "kubexm.io/ha-apiserver"
LABEL_EXCLUDE_FROM_LB = "node.kubernetes.io/exclude-from-external-load-balancers"
TAINT_CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
