"""Constants of the kubexm config model: type names, roles, ports, paths, CIDRs, images, modes.

Nothing here imports kubexm; every other layer may import it. The support matrix of Kubernetes ×
etcd × load balancer combinations lives in ``kubexm.common.matrix``.
"""
